/**
 * dbuild's flag tables against buildx's own reference (docs/reference/buildx_build.md and
 * buildx_bake.md of buildx 0.36.1, the Options tables): every flag is there, and takes a value
 * exactly when buildx's type is not `bool`. A value flag taken for a boolean swallows the context
 * (or a bake target) as if it were the next argument's business.
 */
import t from 'tap'

import {splitArgv} from '../../src/buildx/argv.js'
import {BAKE_TABLE} from '../../src/buildx/bake-flags.js'
import {BUILDX_BUILD_FLAGS, flagByLong, flagByShort} from '../../src/buildx/flags.js'

type Row = [long: string, short: string | undefined, type: string]

/** `docker buildx build` Options, buildx 0.36.1. */
const BUILD_REFERENCE: Row[] = [
  ['add-host', undefined, 'stringSlice'],
  ['allow', undefined, 'stringArray'],
  ['annotation', undefined, 'stringArray'],
  ['attest', undefined, 'stringArray'],
  ['build-arg', undefined, 'stringArray'],
  ['build-context', undefined, 'stringArray'],
  ['builder', undefined, 'string'],
  ['cache-from', undefined, 'stringArray'],
  ['cache-to', undefined, 'stringArray'],
  ['call', undefined, 'string'],
  ['cgroup-parent', undefined, 'string'],
  ['check', undefined, 'bool'],
  ['debug', 'D', 'bool'],
  ['file', 'f', 'string'],
  ['iidfile', undefined, 'string'],
  ['label', undefined, 'stringArray'],
  ['load', undefined, 'bool'],
  ['metadata-file', undefined, 'string'],
  ['network', undefined, 'string'],
  ['no-cache', undefined, 'bool'],
  ['no-cache-filter', undefined, 'stringArray'],
  ['output', 'o', 'stringArray'],
  ['platform', undefined, 'stringArray'],
  ['policy', undefined, 'stringArray'],
  ['progress', undefined, 'string'],
  ['provenance', undefined, 'string'],
  ['pull', undefined, 'bool'],
  ['push', undefined, 'bool'],
  ['quiet', 'q', 'bool'],
  ['resource', undefined, 'stringArray'],
  ['sbom', undefined, 'string'],
  ['secret', undefined, 'stringArray'],
  ['shm-size', undefined, 'bytes'],
  ['ssh', undefined, 'stringArray'],
  ['tag', 't', 'stringArray'],
  ['target', undefined, 'string'],
  ['ulimit', undefined, 'ulimit'],
]

/** The hidden ones in buildx 0.36.1's commands/build.go (docker build compatibility, legacy resource flags, --print). */
const BUILD_HIDDEN: Row[] = [
  ['compress', undefined, 'bool'],
  ['cpu-period', undefined, 'string'],
  ['cpu-quota', undefined, 'string'],
  ['cpu-shares', 'c', 'string'],
  ['cpuset-cpus', undefined, 'string'],
  ['cpuset-mems', undefined, 'string'],
  ['force-rm', undefined, 'bool'],
  ['isolation', undefined, 'string'],
  ['memory', 'm', 'string'],
  ['memory-swap', undefined, 'string'],
  ['print', undefined, 'string'],
  ['rm', undefined, 'bool'],
  ['security-opt', undefined, 'stringSlice'],
  ['squash', undefined, 'bool'],
]

/** `docker buildx bake` Options, buildx 0.36.1, plus its hidden --list-targets and --list-variables. */
const BAKE_REFERENCE: Row[] = [
  ['allow', undefined, 'stringArray'],
  ['builder', undefined, 'string'],
  ['call', undefined, 'string'],
  ['check', undefined, 'bool'],
  ['debug', 'D', 'bool'],
  ['file', 'f', 'stringArray'],
  ['list', undefined, 'string'],
  ['list-targets', undefined, 'bool'],
  ['list-variables', undefined, 'bool'],
  ['load', undefined, 'bool'],
  ['metadata-file', undefined, 'string'],
  ['no-cache', undefined, 'bool'],
  ['policy', undefined, 'stringArray'],
  ['print', undefined, 'bool'],
  ['progress', undefined, 'string'],
  ['provenance', undefined, 'string'],
  ['pull', undefined, 'bool'],
  ['push', undefined, 'bool'],
  ['sbom', undefined, 'string'],
  ['set', undefined, 'stringArray'],
  ['var', undefined, 'stringArray'],
]

const repeatable = (type: string) => ['stringArray', 'stringSlice', 'ulimit'].includes(type)

t.test("build: every flag of buildx 0.36 is in the table, a value flag exactly when buildx's type is not bool", async (t) => {
  for (const [long, short, type] of [...BUILD_REFERENCE, ...BUILD_HIDDEN]) {
    const flag = flagByLong(long)
    t.ok(flag, `--${long} is known`)
    t.equal(flag?.value, type !== 'bool', `--${long} (${type}) ${type === 'bool' ? 'is a boolean' : 'takes a value'}`)
    t.equal(flag?.repeatable, repeatable(type), `--${long} (${type}) ${repeatable(type) ? 'adds up' : 'last one wins'}`)
    if (short) t.equal(flagByShort(short)?.long, long, `-${short} is --${long}`)
  }
  const reference = new Set([...BUILD_REFERENCE, ...BUILD_HIDDEN].map(([long]) => long))
  t.same(
    BUILDX_BUILD_FLAGS.map((f) => f.long).filter((long) => !reference.has(long)),
    [],
    'nothing buildx 0.36 does not have',
  )
})

t.test("bake: every flag of buildx 0.36 is in the table, a value flag exactly when buildx's type is not bool", async (t) => {
  for (const [long, short, type] of BAKE_REFERENCE) {
    const flag = BAKE_TABLE.byLong(long)
    t.ok(flag, `--${long} is known`)
    t.equal(flag?.value, type !== 'bool', `--${long} (${type}) ${type === 'bool' ? 'is a boolean' : 'takes a value'}`)
    t.equal(flag?.repeatable, repeatable(type), `--${long} (${type}) ${repeatable(type) ? 'adds up' : 'last one wins'}`)
    if (short) t.equal(BAKE_TABLE.byShort(short)?.long, long, `-${short} is --${long}`)
  }
})

t.test('bake: a value flag never swallows the target after it', async (t) => {
  const cases: Array<[string[], string[]]> = [
    [['--policy', 'log-level=debug', 'app'], ['app']],
    [
      ['--allow', 'fs.read=..', 'app', 'web'],
      ['app', 'web'],
    ],
    [['--var', 'TAG=1', '--list', 'targets'], []],
    [['--call', 'check', 'app'], ['app']],
    [['--check', 'app'], ['app']],
    [['--list-targets', 'app'], ['app']],
  ]
  for (const [argv, targets] of cases) t.same(splitArgv(argv, BAKE_TABLE).positionals, targets, argv.join(' '))
})
