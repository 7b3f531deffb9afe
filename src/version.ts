/**
 * The one reading of version text in dbuild: buildx, BuildKit, Docker Engine and git all say
 * `1.2.3` somewhere in a line, with or without a `v`, often with a distribution's suffix.
 */

export type VersionParts = readonly [number, number, number]

export interface Version {
  /** `0.13.1`: the numbers only, for messages. */
  version: string
  parts: [number, number, number]
}

/**
 * The first version in `text`: `github.com/docker/buildx v0.13.1 abc`, `0.13.1+ds1 0.13.1+ds1-3`,
 * `28.5.2+dfsg4`, `git version 2.43.0` (a missing patch counts as 0). A Go pseudo-version
 * (`v0.10.7-0.20230412161310-d52b2d584242`) is a commit after the release before it: v0.10.6.
 * Undefined for `v0.0.0+unknown`, what Go programs built without version information report.
 */
export function parseVersion(text: string | undefined): Version | undefined {
  const match = /(?:^|[\s/])v?(\d+)\.(\d+)(?:\.(\d+))?(-0\.\d{14}-[0-9a-f]{12})?/.exec(text ?? '')
  if (!match) return undefined
  const parts: [number, number, number] = [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)]
  if (match[4] && parts[2] > 0) parts[2] -= 1
  if (parts.every((part) => part === 0)) return undefined
  return {version: parts.join('.'), parts}
}

/** Version `a` comes before `b` (missing parts count as 0). */
export function older(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0
    const y = b[i] ?? 0
    if (x !== y) return x < y
  }
  return false
}

export const atLeast = (have: readonly number[], want: readonly number[]): boolean => !older(have, want)
