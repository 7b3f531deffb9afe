/**
 * Every flag `docker buildx bake` accepts, so argv can be split exactly (which token is a flag's
 * value, which one a target). buildx 0.13's `--help` plus what releases up to 0.36 added (their
 * commands/bake.go and docs/reference/buildx_bake.md); `since` is the first release with the flag.
 */
import type {FlagTable} from './argv.js'
import type {BuildxFlag} from './flags.js'

const flag = (long: string, value: boolean, repeatable: boolean, extra: Partial<BuildxFlag> = {}): BuildxFlag => ({
  long,
  value,
  repeatable,
  ...extra,
})

/** Sorted by long name. */
export const BUILDX_BAKE_FLAGS: readonly BuildxFlag[] = [
  flag('allow', true, true, {since: '0.17'}),
  flag('builder', true, false),
  flag('call', true, false, {since: '0.16'}),
  flag('check', false, false, {since: '0.16'}),
  flag('debug', false, false, {short: 'D', since: '0.17'}),
  flag('file', true, true, {short: 'f'}),
  flag('list', true, false, {since: '0.20'}),
  flag('list-targets', false, false, {since: '0.20'}), // hidden, became --list=targets
  flag('list-variables', false, false, {since: '0.20'}), // hidden, became --list=variables
  flag('load', false, false),
  flag('metadata-file', true, false),
  flag('no-cache', false, false),
  flag('policy', true, true, {since: '0.34'}),
  flag('print', false, false),
  flag('progress', true, false),
  flag('provenance', true, false),
  flag('pull', false, false),
  flag('push', false, false),
  flag('sbom', true, false),
  flag('set', true, true),
  flag('var', true, true, {since: '0.31'}),
]

/**
 * Flags whose whole effect is already in the definition `bake --print` resolves (files, overrides
 * and their shorthands): the build runs from that definition, so they are not given twice.
 */
export const DEFINITION_FLAGS: ReadonlySet<string> = new Set(['file', 'load', 'provenance', 'push', 'sbom', 'set', 'var'])

const byLong = new Map(BUILDX_BAKE_FLAGS.map((f) => [f.long, f]))
const byShort = new Map(BUILDX_BAKE_FLAGS.filter((f) => f.short).map((f) => [f.short as string, f]))

export const BAKE_TABLE: FlagTable = {
  command: 'bake',
  byLong: (name) => byLong.get(name),
  byShort: (letter) => byShort.get(letter),
  longNames: () => [...byLong.keys()],
}
