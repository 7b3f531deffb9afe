/**
 * An image reference as docker normalizes it (distribution/reference's ParseNormalizedNamed): a
 * first component with a dot or a port, or `localhost`, is the registry; anything else is on
 * Docker Hub, and a one-component name is under `library/`.
 */
import {isImageName} from '../image-reference.js'

export const DOCKER_HUB = 'docker.io'
/** Docker Hub's API host, and the key docker's config.json and credential helpers use for it. */
export const DOCKER_HUB_API = 'registry-1.docker.io'
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/'

export interface ImageReference {
  /** The registry as named (`docker.io`, `localhost:5000`, `ghcr.io`). */
  registry: string
  /** The repository path in it (`library/node`, `org/app`). */
  repository: string
  tag?: string
  digest?: string
}

const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/
const TAG = /^[\w][\w.-]{0,127}$/

/** Parses REF; undefined when it is not an image reference. */
export function parseReference(text: string): ImageReference | undefined {
  let rest = text
  let digest: string | undefined
  const at = rest.indexOf('@')
  if (at !== -1) {
    digest = rest.slice(at + 1)
    rest = rest.slice(0, at)
    if (!DIGEST.test(digest)) return undefined
  }
  let tag: string | undefined
  const colon = rest.lastIndexOf(':')
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1)
    rest = rest.slice(0, colon)
    if (!TAG.test(tag)) return undefined
  }
  if (!isImageName(rest)) return undefined
  const slash = rest.indexOf('/')
  const first = slash === -1 ? '' : rest.slice(0, slash)
  let registry = DOCKER_HUB
  let repository = rest
  if (slash !== -1 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase())) {
    registry = first
    repository = rest.slice(slash + 1)
  }
  if (registry === 'index.docker.io') registry = DOCKER_HUB
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`
  return {registry, repository, ...(tag === undefined ? {} : {tag}), ...(digest === undefined ? {} : {digest})}
}

/** The reference as docker prints it in full: `docker.io/library/node:20`. */
export function formatReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag === undefined ? '' : `:${ref.tag}`}${ref.digest === undefined ? '' : `@${ref.digest}`}`
}

/** The host the registry API is on. */
export function apiHost(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_API : registry
}

/** Loopback hosts, which docker reaches over plain HTTP (they are insecure registries by default). */
export function isLoopback(registry: string): boolean {
  const host = registry.startsWith('[') ? registry.slice(1, registry.indexOf(']')) : registry.replace(/:\d+$/, '')
  return host === 'localhost' || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host)
}
