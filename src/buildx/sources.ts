/** What kind of thing a context argument names, decided as buildx decides it. */

export type SourceKind = 'local' | 'stdin' | 'git' | 'url' | 'image' | 'oci-layout'

const GIT_PREFIXES = ['git://', 'git@', 'github.com/', 'ssh://', 'git+ssh://', 'git+https://', 'git+http://']

/** `-` is stdin; git URLs, http(s) tarballs and `docker-image://`/`oci-layout://` refs are remote; the rest is a directory. */
export function sourceKind(source: string): SourceKind {
  if (source === '-') return 'stdin'
  if (source.startsWith('docker-image://')) return 'image'
  if (source.startsWith('oci-layout://')) return 'oci-layout'
  if (GIT_PREFIXES.some((prefix) => source.startsWith(prefix))) return 'git'
  if (/^https?:\/\//.test(source)) {
    // buildx treats an http(s) URL ending in .git, or with a #ref fragment on one, as a git repository
    return /\.git(#.*)?$/.test(source) ? 'git' : 'url'
  }
  return 'local'
}
