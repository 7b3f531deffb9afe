/**
 * `npm run fuzz -- --seed N --cases M [--from I] [--case I] [--reduce] [--store graphdriver|containerd] [--flavor floor|current] [--fixed]`:
 * generates cases of one seed and builds each by plain buildx and by dbuild on both image stores,
 * outside tap, printing progress and every failure (reduced with --reduce, ready for fixed-cases.ts).
 * --fixed runs the fixed cases (fixed-cases.ts) instead. Starts a private engine, or reuses the one DBUILD_TEST_DOCKER_HOST (and _CONTAINERD_HOST) name.
 * Exits 1 when any case failed.
 */
import {parseArgs} from 'node:util'

import {startEngine, stopEngine} from '../engine/engine.js'
import {type Daemon, daemonEnv} from '../engine/index.js'
import type {Flavor} from '../engine/engine.js'
import {LOCAL_BASE_IMAGE} from '../engine/engine.js'
import {type DiffCase, generateCase} from './cases.js'
import {FIXED_CASES} from './fixed-cases.js'
import {KNOWN_DEFECTS, triage} from './known-defects.js'
import {caseSource, reduceCase, runCase, runConcurrent} from './runner.js'
import {concurrentVariants} from './variants.js'

const {values} = parseArgs({
  options: {
    seed: {type: 'string'},
    cases: {type: 'string', default: '10'},
    from: {type: 'string', default: '0'},
    case: {type: 'string'},
    reduce: {type: 'boolean', default: false},
    store: {type: 'string'},
    concurrent: {type: 'string', default: '0'},
    fixed: {type: 'boolean', default: false},
    flavor: {type: 'string', default: 'floor'},
  },
})

const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 32) : Number(values.seed)
const from = values.case === undefined ? Number(values.from) : Number(values.case)
const count = values.case === undefined ? Number(values.cases) : 1

async function daemons(): Promise<{list: Daemon[]; stop: () => Promise<void>}> {
  const reuse = process.env.DBUILD_TEST_DOCKER_HOST
  if (reuse) {
    const list: Daemon[] = [{store: 'graphdriver', host: reuse, env: daemonEnv(reuse)}]
    const containerd = process.env.DBUILD_TEST_CONTAINERD_HOST
    if (containerd) list.push({store: 'containerd', host: containerd, env: daemonEnv(containerd)})
    return {list, stop: async () => {}}
  }
  const engine = await startEngine({registry: true, flavor: values.flavor as Flavor, log: (line) => console.error(line)})
  const list: Daemon[] = [
    {store: 'graphdriver', host: engine.graphdriverHost ?? '', env: daemonEnv(engine.graphdriverHost ?? '', engine.dockerConfig)},
    {store: 'containerd', host: engine.containerdHost ?? '', env: daemonEnv(engine.containerdHost ?? '', engine.dockerConfig)},
  ]
  return {list, stop: () => stopEngine(engine)}
}

async function main(): Promise<number> {
  console.log(`dbuild fuzz: seed ${seed}, cases ${from}..${from + count - 1}`)
  const engine = await daemons()
  const selected = engine.list.filter((daemon) => !values.store || daemon.store === values.store)
  let failed = 0
  let compared = 0
  const started = Date.now()
  try {
    const cases = values.fixed ? FIXED_CASES : Array.from({length: count}, (_, i) => generateCase(seed, from + i, LOCAL_BASE_IMAGE))
    for (const testCase of cases) {
      const outcome = await runCase(selected, testCase)
      if (outcome.plainFailed.length < selected.length) compared++
      const plainFailed = outcome.plainFailed.map((p) => ` (plain buildx failed on ${p.store}: ${p.reason})`).join('')
      const status = outcome.failures.length === 0 ? 'ok' : triage(outcome.failures, testCase).rest.length > 0 ? 'FAIL' : 'known'
      console.log(`case ${testCase.id} ${status} in ${outcome.seconds.toFixed(1)}s [${testCase.classes.join(' ')}]${plainFailed}`)
      if (outcome.failures.length === 0) continue
      failed++
      const {known, rest} = triage(outcome.failures, testCase)
      if (known.size > 0)
        console.log(`  known classes: ${[...known].map(([name, n]) => `${name} (${KNOWN_DEFECTS[name]?.what}): ${n}`).join('; ')}`)
      for (const failure of outcome.failures)
        console.log(`  ${failure.store}, ${failure.phase}:\n    ${failure.differences.join('\n    ')}`)
      if (rest.length > 0) console.log(`  NEW: ${rest.length} failure(s) no known class accounts for`)
      if (values.reduce) {
        const store = (rest[0] ?? outcome.failures[0])?.store
        const on = selected.filter((daemon) => daemon.store === store)
        const newOnly = rest.length > 0
        const stillFails = async (candidate: DiffCase): Promise<boolean> => {
          const failures = (await runCase(on, candidate)).failures
          return newOnly ? triage(failures, candidate).rest.length > 0 : failures.length > 0
        }
        const reduced = await reduceCase(testCase, stillFails, 60, (line) => console.log(`  ${line}`))
        const again = await runCase(on, reduced)
        console.log(`  reduced case (${store}):\n${caseSource(reduced)}`)
        for (const failure of again.failures)
          console.log(`  reduced, ${failure.store}, ${failure.phase}:\n    ${failure.differences.join('\n    ')}`)
      }
    }
    for (let round = 0; round < Number(values.concurrent); round++) {
      const testCase = generateCase(seed, 10_000 + round, LOCAL_BASE_IMAGE)
      for (const daemon of selected) {
        const outcome = await runConcurrent(daemon, testCase, concurrentVariants(testCase))
        console.log(
          `concurrent ${seed}:${10_000 + round} on ${daemon.store}: ${outcome.failures.length > 0 ? 'FAIL' : 'ok'} in ${outcome.seconds.toFixed(1)}s`,
        )
        for (const failure of outcome.failures) console.log(`  ${failure.args?.join(' ')}:\n    ${failure.differences.join('\n    ')}`)
        if (outcome.failures.length > 0) failed++
      }
    }
  } finally {
    await engine.stop()
  }
  const minutes = ((Date.now() - started) / 60_000).toFixed(1)
  console.log(`dbuild fuzz: seed ${seed}: ${failed} failed, ${compared} of ${count} compared (plain buildx built them), ${minutes} min`)
  return failed > 0 ? 1 : 0
}

process.exitCode = await main()
