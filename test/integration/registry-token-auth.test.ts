/**
 * Bearer token auth as distribution's token spec has it, against the real docker-registry: the
 * registry answers 401 with a `Bearer realm=…,service=…,scope=…` challenge, this test's token
 * server (RS256 JWTs whose x5c certificate the registry trusts) gives a token for docker's
 * credentials, and a push through dbuild attaches the manifest that explain then finds.
 */
import {execFileSync} from 'node:child_process'
import {createSign, randomUUID} from 'node:crypto'
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import path from 'node:path'

import {execa} from 'execa'
import t from 'tap'

import {ExitCode} from '../../src/exit-codes.js'
import {ROOT, useEngine} from '../engine/index.js'
import {cloneUnderUmask, gitRepo, tempDir, uniqueName} from '../helpers/index.js'
import {freePort, startRegistry} from '../helpers/registry.js'

const BIN = path.join(ROOT, 'bin', 'run.js')
const engine = useEngine(t)
const SERVICE = 'dbuild-test-registry'
const ISSUER = 'dbuild-test-issuer'

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url')

/** A token server: Basic credentials (GET) or the OAuth2 password grant (POST), RS256 tokens with the certificate in x5c. */
async function tokenServer(
  t: {teardown(fn: () => void): void},
  key: string,
  certDer: Buffer,
  user: string,
  password: string,
): Promise<{url: string; asked: string[]}> {
  const asked: string[] = []
  const token = (scopes: string[]) => {
    const access = scopes.flatMap((scope) => {
      const [type, ...rest] = scope.split(':')
      const actions = rest.pop() ?? ''
      return type ? [{type, name: rest.join(':'), actions: actions.split(',')}] : []
    })
    const now = Math.floor(Date.now() / 1000)
    const header = {alg: 'RS256', typ: 'JWT', x5c: [certDer.toString('base64')]}
    const claims = {iss: ISSUER, sub: user, aud: SERVICE, exp: now + 300, nbf: now - 10, iat: now, jti: randomUUID(), access}
    const body = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`
    return `${body}.${b64url(createSign('RSA-SHA256').update(body).sign(key))}`
  }
  const server = http.createServer((request, response) => {
    let body = ''
    request.on('data', (chunk) => (body += chunk))
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://x')
      let given: string | undefined
      let scopes = url.searchParams.getAll('scope')
      if (request.method === 'POST') {
        const form = new URLSearchParams(body)
        given = form.get('grant_type') === 'password' ? `${form.get('username')}:${form.get('password')}` : undefined
        scopes = (form.get('scope') ?? '').split(' ').filter(Boolean)
      } else {
        const basic = /^Basic (.+)$/.exec(request.headers.authorization ?? '')?.[1]
        given = basic ? Buffer.from(basic, 'base64').toString('utf8') : undefined
      }
      asked.push(`${request.method} ${given === undefined ? 'anonymous' : given.split(':')[0]} ${scopes.join(' ')}`)
      if (given !== `${user}:${password}`) {
        response.writeHead(401, {'content-type': 'application/json'}).end('{"errors":[{"code":"UNAUTHORIZED"}]}')
        return
      }
      const issued = token(scopes)
      response
        .writeHead(200, {'content-type': 'application/json'})
        .end(JSON.stringify({token: issued, access_token: issued, expires_in: 300}))
    })
  })
  const port = await freePort()
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  t.teardown(() => server.close())
  return {url: `http://127.0.0.1:${port}/token`, asked}
}

if (engine) {
  t.test(`a registry with Bearer token auth (${engine.flavor})`, async (t) => {
    const root = tempDir(t, 'dbuild-token-auth-')
    const dir = path.join(root, 'registry')
    mkdirSync(dir, {recursive: true})
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        `${dir}/key.pem`,
        '-out',
        `${dir}/cert.pem`,
        '-subj',
        '/CN=dbuild-test-token',
        '-days',
        '2',
      ],
      {stdio: 'ignore'},
    )
    const certDer = execFileSync('openssl', ['x509', '-in', `${dir}/cert.pem`, '-outform', 'DER'])
    const tokens = await tokenServer(t, readFileSync(`${dir}/key.pem`, 'utf8'), certDer, 'ci', 't0ken-s3cret')
    const {host: registry} = await startRegistry(t, {
      dir,
      auth: {token: {realm: tokens.url, service: SERVICE, issuer: ISSUER, rootcertbundle: `${dir}/cert.pem`}},
    })

    const daemon = engine.containerd
    const dockerConfig = engine.dockerConfig(path.join(root, 'docker-config'))
    writeFileSync(
      path.join(dockerConfig, 'config.json'),
      JSON.stringify({auths: {[registry]: {auth: Buffer.from('ci:t0ken-s3cret').toString('base64')}}}),
    )
    const env: NodeJS.ProcessEnv = {
      ...daemon.env,
      DOCKER_CONFIG: dockerConfig,
      DBUILD_CACHE_DIR: path.join(root, 'cache'),
      NO_COLOR: '1',
      CI: 'true',
    }
    const files = {
      Dockerfile: `FROM ${engine.localBaseImage}\nCOPY src/ /src/\n`,
      '.dockerignore': '.git\n',
      'src/a.txt': `${uniqueName('token')}\n`,
    }
    const source = await gitRepo(path.join(root, 'source'), files)
    const ci = await cloneUnderUmask(source, path.join(root, 'ci'), '022')
    const image = `${registry}/${uniqueName('dbuild-token')}:ci`
    const pushed = await execa(process.execPath, [BIN, 'build', '--push', '-t', image, '.'], {cwd: ci, env, reject: false, all: true})
    t.equal(pushed.exitCode, 0, 'pushed through the token server', {output: pushed.all})
    t.match(pushed.all, /context manifest attached to/, 'and the manifest with it', {asked: tokens.asked})

    const laptop: NodeJS.ProcessEnv = {...env}
    delete laptop.CI
    const dev = await cloneUnderUmask(source, path.join(root, 'dev'), '002')
    const before = tokens.asked.length
    const explained = await execa(process.execPath, [BIN, 'explain', '--against', image], {cwd: dev, env: laptop, reject: false, all: true})
    t.equal(explained.exitCode, 0, 'found with a Bearer token', {output: explained.all})
    t.match(tokens.asked.slice(before), [/^GET ci repository:dbuild-token[^ ]*:pull$/], 'a pull-only token, asked with Basic credentials')

    const anonymous = engine.dockerConfig(path.join(root, 'docker-config-empty'))
    const refused = await execa(process.execPath, [BIN, 'explain', '--against', image], {
      cwd: dev,
      env: {...laptop, DOCKER_CONFIG: anonymous},
      reject: false,
      all: true,
    })
    t.equal(refused.exitCode, ExitCode.NO_PERMISSION, 'no credentials: the token server refuses', {output: refused.all})
    t.match(refused.stderr, /refused a token for .*dbuild-token.*:ci/)
  })
}
