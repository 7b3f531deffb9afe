/**
 * A docker-registry of a test's own, beside the harness's shared one: with htpasswd (Basic) or
 * Bearer token auth, or read-only, on a loopback port. The same config the harness's registry is
 * made from (test/engine/engine.js), stopped when the test ends.
 */
import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import bcrypt from 'bcryptjs'
import {execa} from 'execa'

import {freePort, registryConfig} from '../engine/engine.js'

export {freePort} from '../engine/engine.js'

export type RegistryAuth =
  /** htpasswd auth (Basic) with one user. */
  | {htpasswd: {user: string; password: string}}
  /** distribution's token auth (Bearer): tokens from `realm`, signed by a key `rootcertbundle` holds the certificate of. */
  | {token: {realm: string; service: string; issuer: string; rootcertbundle: string}}

export interface RegistryOptions {
  /** Its config and data go below DIR. */
  dir: string
  /** A free one when not given; a registry started again over the same data takes the same port. */
  port?: number
  auth?: RegistryAuth
  /** Refuses every push. */
  readOnly?: boolean
}

export interface Registry {
  /** host:port, 127.0.0.1 */
  host: string
  /** Stops it before the test ends (it is stopped then anyway). */
  stop(): Promise<void>
}

/**
 * Starts docker-registry and resolves once it answers as its config says: 200 on /v2/ without auth,
 * 401 with the auth's challenge (Basic, Bearer) with it.
 */
export async function startRegistry(t: {teardown(fn: () => Promise<void>): void}, options: RegistryOptions): Promise<Registry> {
  const {dir, auth, readOnly = false} = options
  mkdirSync(dir, {recursive: true})
  const port = options.port ?? (await freePort())
  let settings: Record<string, Record<string, string>> | undefined
  let challenge: string | undefined
  if (auth && 'htpasswd' in auth) {
    const {user, password} = auth.htpasswd
    writeFileSync(path.join(dir, 'htpasswd'), `${user}:${bcrypt.hashSync(password, 5)}\n`)
    settings = {htpasswd: {realm: 'dbuild-test', path: `${dir}/htpasswd`}}
    challenge = 'Basic'
  } else if (auth) {
    settings = {token: auth.token}
    challenge = 'Bearer'
  }
  const file = path.join(dir, readOnly ? 'read-only.yml' : 'config.yml')
  writeFileSync(file, registryConfig({dir, port, readOnly, ...(settings ? {auth: settings} : {})}))
  const child = execa('docker-registry', ['serve', file], {reject: false, all: true})
  const stop = async () => {
    child.kill('SIGTERM')
    await child
  }
  t.teardown(stop)
  const host = `127.0.0.1:${port}`
  const deadline = Date.now() + 30_000
  for (;;) {
    const [status, scheme] = await fetch(`http://${host}/v2/`).then(
      (response) => [response.status, response.headers.get('www-authenticate')?.split(' ')[0]] as const,
      () => [0, undefined] as const,
    )
    if (challenge === undefined ? status === 200 : status === 401 && scheme === challenge) return {host, stop}
    if (Date.now() > deadline) throw new Error(`the registry in ${dir} did not start: status ${status}, challenge ${scheme ?? 'none'}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
