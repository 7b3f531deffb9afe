/**
 * Every flag `docker buildx build` accepts, so that argv can be split exactly: which token is a
 * flag's value and which one is the context. Taken from buildx 0.13's `--help` (including the hidden
 * compatibility flags) plus the flags releases up to 0.36 added (their commands/build.go and
 * docs/reference/buildx_build.md); `since` is the first release whose build command has the flag.
 * A value flag missing here would be taken for a boolean and swallow the context. Flags later releases removed
 * (--detach, --root, --server-config: 0.24; --invoke: 0.12) are left out: when the installed buildx
 * still has one, its own `--help` vouches for it (src/buildx/help.ts).
 */

export interface BuildxFlag {
  /** Long name without dashes, e.g. `tag`. */
  long: string
  /** One-letter shorthand, e.g. `t`. */
  short?: string
  /** True when the flag takes a value (`--tag x`); false for booleans (`--push`, `--push=false`). */
  value: boolean
  /** True when repeating the flag adds to a list; false when the last one wins. */
  repeatable: boolean
  /** The buildx release that added the flag, when newer than 0.13 (informational). */
  since?: string
}

const flag = (long: string, value: boolean, repeatable: boolean, extra: Partial<BuildxFlag> = {}): BuildxFlag => ({
  long,
  value,
  repeatable,
  ...extra,
})

/** Sorted by long name. */
export const BUILDX_BUILD_FLAGS: readonly BuildxFlag[] = [
  flag('add-host', true, true),
  flag('allow', true, true),
  flag('annotation', true, true),
  flag('attest', true, true),
  flag('build-arg', true, true),
  flag('build-context', true, true),
  flag('builder', true, false),
  flag('cache-from', true, true),
  flag('cache-to', true, true),
  flag('call', true, false, {since: '0.15'}),
  flag('cgroup-parent', true, false),
  flag('check', false, false, {since: '0.15'}), // pflag NoOptDefVal: --check, --check=false,
  flag('compress', false, false), // hidden: docker build compatibility
  flag('cpu-period', true, false), // hidden
  flag('cpu-quota', true, false), // hidden
  flag('cpu-shares', true, false, {short: 'c'}), // hidden
  flag('cpuset-cpus', true, false), // hidden
  flag('cpuset-mems', true, false), // hidden
  flag('debug', false, false, {short: 'D', since: '0.17'}), // buildx's root flag, inherited by build,
  flag('file', true, false, {short: 'f'}),
  flag('force-rm', false, false), // hidden
  flag('iidfile', true, false),
  flag('isolation', true, false), // hidden
  flag('label', true, true),
  flag('load', false, false),
  flag('memory', true, false, {short: 'm'}), // hidden
  flag('memory-swap', true, false), // hidden
  flag('metadata-file', true, false),
  flag('network', true, false),
  flag('no-cache', false, false),
  flag('no-cache-filter', true, true),
  flag('output', true, true, {short: 'o'}),
  flag('platform', true, true),
  flag('policy', true, true, {since: '0.31'}),
  flag('print', true, false), // experimental, became --call
  flag('progress', true, false),
  flag('provenance', true, false),
  flag('pull', false, false),
  flag('push', false, false),
  flag('quiet', false, false, {short: 'q'}),
  flag('resource', true, true, {since: '0.35'}),
  flag('rm', false, false), // hidden
  flag('sbom', true, false),
  flag('secret', true, true),
  flag('security-opt', true, true), // hidden
  flag('shm-size', true, false),
  flag('squash', false, false), // hidden
  flag('ssh', true, true),
  flag('tag', true, true, {short: 't'}),
  flag('target', true, false),
  flag('ulimit', true, true),
]

/** `docker buildx`'s own flags, which may also stand before `build` (`docker buildx --builder x build`). */
export const BUILDX_GLOBAL_FLAGS: readonly BuildxFlag[] = [flag('builder', true, false), flag('debug', false, false, {short: 'D'})]

/** The flags of one buildx subcommand (`build`, `bake`), looked up by long name and by letter. */
export interface FlagTable {
  /** `build` or `bake`, for usage messages. */
  command: string
  byLong(name: string): BuildxFlag | undefined
  byShort(letter: string): BuildxFlag | undefined
  /** Every long name, for "did you mean". */
  longNames?(): string[]
  /** An unknown flag is an error (build), rather than passed through with a warning. */
  strict?: boolean
}

/** The build table, strict, plus flags the installed buildx reported that the table lacks. */
export function flagTable(extra: readonly BuildxFlag[] = []): FlagTable {
  const all = [...BUILDX_BUILD_FLAGS, ...extra.filter((f) => !BUILDX_BUILD_FLAGS.some((known) => known.long === f.long))]
  const byLong = new Map(all.map((f) => [f.long, f]))
  const byShort = new Map(all.filter((f) => f.short).map((f) => [f.short as string, f]))
  return {
    command: 'build',
    strict: true,
    byLong: (name) => byLong.get(name),
    byShort: (letter) => byShort.get(letter),
    longNames: () => [...byLong.keys()],
  }
}

const builtin = flagTable()

export function flagByLong(name: string): BuildxFlag | undefined {
  return builtin.byLong(name)
}

export function flagByShort(letter: string): BuildxFlag | undefined {
  return builtin.byShort(letter)
}
