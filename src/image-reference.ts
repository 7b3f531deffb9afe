/**
 * The image reference grammar of distribution/reference (the one docker, BuildKit and registries
 * parse), for checking references that come from a repository's `.dbuild.json` before they are
 * written into a Dockerfile. Anything outside it, a newline above all, is refused.
 *
 *   name       := [domain "/"] path-component ["/" path-component]*
 *   domain     := host [":" port]    host := domain-component ("." domain-component)* | "[" ipv6 "]"
 */
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])'
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*'
const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`

const NAME_ONLY = new RegExp(`^${NAME}$`)
const DOMAIN_ONLY = new RegExp(`^${DOMAIN}$`)

/** distribution/reference's NameTotalLengthMax. */
const NAME_MAX = 255

/** A repository name (`node`, `docker.io/library/node`, `localhost:5000/app`): no tag, no digest. */
export function isImageName(text: string): boolean {
  return text.length <= NAME_MAX && NAME_ONLY.test(text)
}

/** A registry host alone (`ghcr.io`, `localhost:5000`, `[::1]:5000`), which names every image on it. */
export function isRegistryHost(text: string): boolean {
  return text.length <= NAME_MAX && DOMAIN_ONLY.test(text)
}

/** A mirrors key or value: an image name, a name prefix, or a bare registry host. */
export function isImagePrefix(text: string): boolean {
  return isImageName(text) || isRegistryHost(text)
}
