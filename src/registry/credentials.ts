/**
 * Registry credentials as the docker CLI finds them in its config.json: a credential helper for
 * the registry (`credHelpers`), else the default store (`credsStore`), else `auths`. A helper is a
 * program the user's own docker config names (`docker-credential-NAME get`, the server on stdin),
 * never one a repository names.
 */
import {readFileSync} from 'node:fs'
import path from 'node:path'

import {dockerConfigDir} from '../docker-config.js'
import {DbuildError, ExitCode} from '../exit-codes.js'
import {DOCKER_HUB, DOCKER_HUB_AUTH_KEY} from './reference.js'
import {childDirectory} from '../working-dir.js'

export interface Credentials {
  username?: string
  password?: string
  /** An OAuth2 refresh token (docker login's identity token): traded at the token realm. */
  identityToken?: string
  /** A bearer token to send as it is. */
  registryToken?: string
}

interface AuthEntry {
  auth?: string
  username?: string
  password?: string
  identitytoken?: string
  registrytoken?: string
}

interface DockerConfigFile {
  auths?: Record<string, AuthEntry>
  credsStore?: string
  credHelpers?: Record<string, string>
}

/** docker's ConvertToHostname: `https://host/v1/` → `host`. */
function hostOf(key: string): string {
  const bare = key.replace(/^[a-z]+:\/\//i, '')
  return bare.split('/')[0] ?? bare
}

/** The key a registry's credentials are stored under: Docker Hub keeps its v1 address. */
export function serverKey(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_AUTH_KEY : registry
}

function readConfig(env: NodeJS.ProcessEnv): {file: string; config: DockerConfigFile} | undefined {
  const file = path.join(dockerConfigDir(env), 'config.json')
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
  try {
    const config = JSON.parse(text) as DockerConfigFile
    return {file, config: config && typeof config === 'object' ? config : {}}
  } catch (error) {
    throw new DbuildError(`${file}: docker's config is not valid JSON (${(error as Error).message})`, ExitCode.INPUT, [
      'Fix the file, or point DOCKER_CONFIG at another directory.',
    ])
  }
}

function fromEntry(entry: AuthEntry): Credentials | undefined {
  if (entry.identitytoken) return {identityToken: entry.identitytoken, ...(entry.username ? {username: entry.username} : {})}
  if (entry.registrytoken) return {registryToken: entry.registrytoken}
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon > 0) return {username: decoded.slice(0, colon), password: decoded.slice(colon + 1)}
  }
  if (entry.username && entry.password) return {username: entry.username, password: entry.password}
  return undefined
}

/** Runs `docker-credential-NAME get`; undefined when it has nothing for the server. */
async function fromHelper(name: string, server: string, env: NodeJS.ProcessEnv): Promise<Credentials | undefined> {
  const {execa} = await import('execa')
  const program = `docker-credential-${name}`
  const result = await execa(program, ['get'], {
    input: server,
    env,
    cwd: childDirectory(),
    reject: false,
    timeout: 60_000,
    stripFinalNewline: true,
  })
  if (result.exitCode !== 0) {
    if (/not found/i.test(`${result.stdout}`)) return undefined
    const why =
      result.failed && result.exitCode === undefined ? (result.code ?? 'did not finish') : `${result.stdout || result.stderr}`.trim()
    throw new DbuildError(
      `${program} get (the credential helper docker's config names for ${server}) failed: ${why}`,
      ExitCode.UNAVAILABLE,
      [`Check that ${program} is on PATH and that docker login ${server} works.`],
    )
  }
  let parsed: {Username?: string; Secret?: string}
  try {
    parsed = JSON.parse(result.stdout) as {Username?: string; Secret?: string}
  } catch {
    throw new DbuildError(`${program} get printed something other than JSON for ${server}`, ExitCode.UNAVAILABLE)
  }
  if (!parsed.Secret) return undefined
  // docker's convention: a helper's `<token>` user holds an identity token
  if (parsed.Username === '<token>') return {identityToken: parsed.Secret}
  return {username: parsed.Username ?? '', password: parsed.Secret}
}

/** The credentials docker would use for `registry` (as named in a reference), or undefined for anonymous access. */
export async function credentialsFor(registry: string, env: NodeJS.ProcessEnv = process.env): Promise<Credentials | undefined> {
  const read = readConfig(env)
  if (!read) return undefined
  const {config} = read
  const key = serverKey(registry)
  const helper = config.credHelpers?.[registry] ?? config.credHelpers?.[key] ?? config.credsStore
  if (helper) {
    const found = await fromHelper(helper, key, env)
    if (found) return found
  }
  for (const [name, entry] of Object.entries(config.auths ?? {})) {
    const matches = name === key || hostOf(name) === registry || (registry === DOCKER_HUB && hostOf(name) === 'index.docker.io')
    if (matches && entry && typeof entry === 'object') {
      const found = fromEntry(entry)
      if (found) return found
    }
  }
  return undefined
}
