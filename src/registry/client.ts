/**
 * A small OCI distribution client on Node's fetch: manifests and blobs of one repository, with
 * docker's ways in. Loopback registries are plain HTTP, as docker treats them; any other is HTTPS,
 * and plain HTTP only when the daemon lists it as insecure (`docker info`). Auth follows the
 * `WWW-Authenticate` challenge: Basic, or a Bearer token from the realm (distribution's token
 * spec), with docker's credentials (credentials.ts).
 */
import {createHash} from 'node:crypto'

import {DbuildError, ExitCode} from '../exit-codes.js'
import {type Credentials, credentialsFor, serverKey} from './credentials.js'
import {apiHost, formatReference, type ImageReference, isLoopback} from './reference.js'
import {childDirectory} from '../working-dir.js'

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json'
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json'
export const MANIFEST_TYPES = [OCI_INDEX, OCI_MANIFEST, DOCKER_MANIFEST_LIST, DOCKER_MANIFEST]

export interface Descriptor {
  mediaType: string
  digest: string
  size: number
  artifactType?: string
  annotations?: Record<string, string>
}

export interface FetchedManifest {
  descriptor: Descriptor
  bytes: Buffer
}

interface Challenge {
  scheme: string
  params: Record<string, string>
}

/** `Bearer realm="…",service="…",scope="…"` → its scheme and parameters. */
export function parseChallenge(header: string | null): Challenge | undefined {
  if (!header) return undefined
  const match = /^\s*(\w+)\s*(.*)$/s.exec(header)
  if (!match) return undefined
  const params: Record<string, string> = {}
  for (const param of (match[2] ?? '').matchAll(/([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) {
    params[(param[1] as string).toLowerCase()] = param[2] === undefined ? (param[3] ?? '') : param[2].replace(/\\(.)/g, '$1')
  }
  return {scheme: (match[1] as string).toLowerCase(), params}
}

export function sha256Digest(bytes: Buffer | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`
}

/** Registries the daemon calls insecure (`docker info`): reached over plain HTTP when HTTPS fails. */
async function daemonInsecure(registry: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  const {execa} = await import('execa')
  const result = await execa('docker', ['info', '--format', '{{json .RegistryConfig}}'], {
    env,
    cwd: childDirectory(),
    reject: false,
    timeout: 20_000,
  })
  if (result.exitCode !== 0) return false
  try {
    const config = JSON.parse(result.stdout) as {IndexConfigs?: Record<string, {Secure?: boolean}>; InsecureRegistryCIDRs?: string[]}
    return config.IndexConfigs?.[registry]?.Secure === false
  } catch {
    return false
  }
}

export interface ClientOptions {
  env?: NodeJS.ProcessEnv
  /** Push as well as pull (the token's scope). */
  push?: boolean
  /** For tests: credentials instead of docker's config. */
  credentials?: Credentials
}

export class RegistryClient {
  readonly ref: ImageReference
  readonly name: string
  private readonly env: NodeJS.ProcessEnv
  private readonly scope: string
  private base?: string
  private authorization?: string
  private credentials?: Promise<Credentials | undefined>

  constructor(
    ref: ImageReference,
    private readonly options: ClientOptions = {},
  ) {
    this.ref = ref
    this.name = formatReference(ref)
    this.env = options.env ?? process.env
    this.scope = `repository:${ref.repository}:${options.push ? 'pull,push' : 'pull'}`
  }

  private creds(): Promise<Credentials | undefined> {
    this.credentials ??= this.options.credentials ? Promise.resolve(this.options.credentials) : credentialsFor(this.ref.registry, this.env)
    return this.credentials
  }

  private unreachable(cause: unknown): DbuildError {
    const why = (cause as {cause?: {code?: string; message?: string}})?.cause
    return new DbuildError(
      `cannot reach the registry of ${this.name}: ${why?.code ?? why?.message ?? (cause as Error).message}`,
      ExitCode.UNAVAILABLE,
      [`Check the name, the network, and that ${this.ref.registry} answers (docker pull ${this.name}).`],
    )
  }

  /** https://HOST, or http://HOST for loopback and for what the daemon calls insecure. */
  private async baseUrl(): Promise<string> {
    if (this.base) return this.base
    const host = apiHost(this.ref.registry)
    if (isLoopback(host)) return (this.base = `http://${host}`)
    try {
      await fetch(`https://${host}/v2/`, {method: 'GET', redirect: 'manual', signal: AbortSignal.timeout(30_000)})
      return (this.base = `https://${host}`)
    } catch (error) {
      if (await daemonInsecure(this.ref.registry, this.env)) return (this.base = `http://${host}`)
      throw this.unreachable(error)
    }
  }

  private refused(status: number, what: string): DbuildError {
    return new DbuildError(`the registry refused ${what} ${this.name} (HTTP ${status})`, ExitCode.NO_PERMISSION, [
      `Log in with the credentials the build uses: docker login ${this.ref.registry === 'docker.io' ? '' : this.ref.registry}`.trimEnd(),
    ])
  }

  /** A Bearer token for the scope from the challenge's realm, with the credentials when there are any. */
  private async token(challenge: Challenge): Promise<string> {
    const {realm, service} = challenge.params
    if (!realm) throw new DbuildError(`the registry of ${this.name} asked for a Bearer token without a realm`, ExitCode.UNAVAILABLE)
    const creds = await this.creds()
    if (creds?.registryToken) return creds.registryToken
    const url = new URL(realm)
    let response: Response
    try {
      if (creds?.identityToken) {
        const form = new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: creds.identityToken,
          client_id: 'dbuild',
          scope: this.scope,
          ...(service ? {service} : {}),
        })
        response = await fetch(url, {method: 'POST', body: form, signal: AbortSignal.timeout(60_000)})
      } else {
        if (service) url.searchParams.set('service', service)
        url.searchParams.set('scope', this.scope)
        const headers: Record<string, string> = {}
        if (creds?.username !== undefined && creds.password !== undefined)
          headers.authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`
        response = await fetch(url, {headers, signal: AbortSignal.timeout(60_000)})
      }
    } catch (error) {
      throw this.unreachable(error)
    }
    if (response.status === 401 || response.status === 403) throw this.refused(response.status, 'a token for')
    if (!response.ok)
      throw new DbuildError(`the token server ${url.origin} answered HTTP ${response.status} for ${this.name}`, ExitCode.UNAVAILABLE)
    const body = (await response.json().catch(() => ({}))) as {token?: string; access_token?: string}
    const token = body.token ?? body.access_token
    if (!token) throw new DbuildError(`the token server ${url.origin} gave no token for ${this.name}`, ExitCode.UNAVAILABLE)
    return token
  }

  private async answer(challenge: Challenge | undefined): Promise<string | undefined> {
    if (challenge?.scheme === 'bearer') return `Bearer ${await this.token(challenge)}`
    if (challenge?.scheme === 'basic') {
      const creds = await this.creds()
      if (creds?.username !== undefined && creds.password !== undefined)
        return `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`
    }
    return undefined
  }

  /** One request to the repository's API (`path` below /v2/NAME/, or an absolute URL), answering one auth challenge. */
  async request(method: string, path: string, init: {headers?: Record<string, string>; body?: Buffer} = {}): Promise<Response> {
    const base = await this.baseUrl()
    const url = /^https?:\/\//.test(path) ? path : `${base}/v2/${this.ref.repository}/${path}`
    const send = async (): Promise<Response> => {
      try {
        return await fetch(url, {
          method,
          headers: {...init.headers, ...(this.authorization ? {authorization: this.authorization} : {})},
          ...(init.body ? {body: init.body} : {}),
          signal: AbortSignal.timeout(120_000),
        })
      } catch (error) {
        throw this.unreachable(error)
      }
    }
    let response = await send()
    if (response.status === 401) {
      const challenge = parseChallenge(response.headers.get('www-authenticate'))
      await response.body?.cancel()
      const authorization = await this.answer(challenge)
      if (authorization === undefined)
        throw this.refused(401, method === 'GET' || method === 'HEAD' ? 'anonymous access to' : 'anonymous pushes to')
      this.authorization = authorization
      response = await send()
      if (response.status === 401) throw this.refused(401, `the credentials docker has for ${serverKey(this.ref.registry)} for`)
    }
    if (response.status === 403) throw this.refused(403, method === 'GET' || method === 'HEAD' ? 'access to' : 'a push to')
    return response
  }

  private async failed(response: Response, what: string): Promise<DbuildError> {
    const text = (await response.text().catch(() => '')).slice(0, 300).trim()
    return new DbuildError(
      `the registry could not ${what} for ${this.name}: HTTP ${response.status}${text ? ` ${text}` : ''}`,
      ExitCode.UNAVAILABLE,
    )
  }

  /** The manifest a tag or digest names; undefined when there is none. */
  async manifest(reference: string, accept: readonly string[] = MANIFEST_TYPES): Promise<FetchedManifest | undefined> {
    const response = await this.request('GET', `manifests/${reference}`, {headers: {accept: accept.join(', ')}})
    if (response.status === 404) {
      await response.body?.cancel()
      return undefined
    }
    if (!response.ok) throw await this.failed(response, `read manifest ${reference}`)
    const bytes = Buffer.from(await response.arrayBuffer())
    const digest = sha256Digest(bytes)
    if (reference.startsWith('sha256:') && reference !== digest)
      throw new DbuildError(
        `the registry sent a manifest for ${this.name} whose digest is ${digest}, not ${reference}`,
        ExitCode.UNAVAILABLE,
      )
    const mediaType =
      (response.headers.get('content-type') ?? '').split(';')[0]?.trim() ||
      (JSON.parse(bytes.toString('utf8')) as {mediaType?: string}).mediaType ||
      OCI_MANIFEST
    return {descriptor: {mediaType, digest, size: bytes.length}, bytes}
  }

  /** The digest and media type REF (its digest, else its tag, else `latest`) names now. */
  async resolve(): Promise<FetchedManifest> {
    const reference = this.ref.digest ?? this.ref.tag ?? 'latest'
    const found = await this.manifest(reference)
    if (!found) {
      throw new DbuildError(
        `no image at ${this.name}: the registry has no manifest ${reference} in ${this.ref.repository}`,
        ExitCode.NO_INPUT,
        ['Check the name and tag, and that the build pushed it (--push).'],
      )
    }
    return found
  }

  async blob(digest: string): Promise<Buffer> {
    const response = await this.request('GET', `blobs/${digest}`)
    if (!response.ok) throw await this.failed(response, `read blob ${digest}`)
    const bytes = Buffer.from(await response.arrayBuffer())
    if (sha256Digest(bytes) !== digest)
      throw new DbuildError(`the registry sent blob ${digest} of ${this.name} with other content`, ExitCode.UNAVAILABLE)
    return bytes
  }

  /** Uploads a blob (monolithically) unless the repository has it. */
  async pushBlob(bytes: Buffer): Promise<Descriptor & {mediaType: ''}> {
    const digest = sha256Digest(bytes)
    const head = await this.request('HEAD', `blobs/${digest}`)
    if (head.ok) return {mediaType: '', digest, size: bytes.length}
    const start = await this.request('POST', 'blobs/uploads/')
    await start.body?.cancel()
    const location = start.headers.get('location')
    if (start.status !== 202 || !location) throw await this.failed(start, 'start a blob upload')
    const url = new URL(location, await this.baseUrl())
    url.searchParams.set('digest', digest)
    const put = await this.request('PUT', url.toString(), {headers: {'content-type': 'application/octet-stream'}, body: bytes})
    if (put.status !== 201) throw await this.failed(put, `upload blob ${digest}`)
    await put.body?.cancel()
    return {mediaType: '', digest, size: bytes.length}
  }

  /** Puts a manifest under a tag or its digest; returns its descriptor and whether the registry took its subject (OCI-Subject). */
  async pushManifest(reference: string, bytes: Buffer, mediaType: string): Promise<{descriptor: Descriptor; subjectTaken: boolean}> {
    const response = await this.request('PUT', `manifests/${reference}`, {headers: {'content-type': mediaType}, body: bytes})
    if (response.status !== 201) throw await this.failed(response, `push manifest ${reference}`)
    await response.body?.cancel()
    return {descriptor: {mediaType, digest: sha256Digest(bytes), size: bytes.length}, subjectTaken: response.headers.has('oci-subject')}
  }

  /** The referrers API's index for a digest; undefined when the registry has no referrers API. */
  async referrersApi(digest: string, artifactType: string): Promise<Descriptor[] | undefined> {
    const response = await this.request('GET', `referrers/${digest}?artifactType=${encodeURIComponent(artifactType)}`, {
      headers: {accept: OCI_INDEX},
    })
    const type = (response.headers.get('content-type') ?? '').split(';')[0]?.trim()
    if (response.status !== 200 || type !== OCI_INDEX) {
      await response.body?.cancel()
      return undefined
    }
    const index = (await response.json().catch(() => ({}))) as {manifests?: Descriptor[]}
    return Array.isArray(index.manifests) ? index.manifests : []
  }
}
