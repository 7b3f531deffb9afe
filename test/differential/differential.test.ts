/**
 * The differential test: plain buildx is the oracle. The fixed cases, then a budget of generated
 * cases of one seed, then a concurrent round, each built by plain buildx and by dbuild on both image
 * stores; any difference beyond the allowed ones (test/helpers/oracle.ts) fails, with the seed, the
 * case and a reduced case to keep in fixed-cases.ts.
 *
 * DBUILD_DIFF_SEED and DBUILD_DIFF_CASES change the seed and the budget; `npm run fuzz` runs more.
 */
import t, {type Test} from 'tap'

import {LOCAL_BASE_IMAGE} from '../engine/engine.js'
import {useEngine} from '../engine/index.js'
import {type DiffCase, generateCase} from './cases.js'
import {FIXED_CASES} from './fixed-cases.js'
import {KNOWN_DEFECTS, triage} from './known-defects.js'
import {type CaseOutcome, caseSource, type Failure, reduceCase, runCase, runConcurrent} from './runner.js'
import {concurrentVariants} from './variants.js'

/** The default budget: about two minutes on two busy cores (see the README's Development section). */
const SEED = Number(process.env.DBUILD_DIFF_SEED ?? 20261204)
const CASES = Number(process.env.DBUILD_DIFF_CASES ?? 4)
const REDUCE_BUDGET = 20

const engine = useEngine(t)

/** Passes, or fails naming the differences; a failure of a known, unfixed class is a todo that names the class. */
async function judge(t: Test, testCase: DiffCase, outcome: CaseOutcome, reduce?: () => Promise<DiffCase>): Promise<void> {
  for (const skipped of outcome.plainFailed)
    t.comment(`${testCase.id}: plain buildx failed on ${skipped.store} (exit ${skipped.exitCode}): ${skipped.reason}`)
  if (outcome.failures.length === 0) {
    const what =
      outcome.plainFailed.length > 0
        ? `no difference where plain buildx built it (it failed ${outcome.plainFailed.length} time(s))`
        : 'the same image as plain buildx'
    t.pass(`${testCase.id}: ${what} (${outcome.seconds.toFixed(0)}s)`)
    return
  }
  const {known, rest} = triage(outcome.failures, testCase)
  const describe = (failures: Failure[]): string =>
    failures.map((f) => `${f.store}, ${f.phase}${f.args ? ` ${f.args.join(' ')}` : ''}:\n  ${f.differences.join('\n  ')}`).join('\n')
  const reasons = [...known].map(
    ([name, count]) => `${name} (${KNOWN_DEFECTS[name]?.owner}: ${KNOWN_DEFECTS[name]?.what}; ${count} difference(s))`,
  )
  if (rest.length === 0) {
    t.fail(`${testCase.id} differs from plain buildx`, {
      todo: `known defect class, fix not on main yet: ${reasons.join('; ')}`,
      differences: describe(outcome.failures),
    })
    return
  }
  const text = `${describe(rest)}${reasons.length > 0 ? `\n(besides differences of known classes: ${reasons.join('; ')})` : ''}`
  let reduced = ''
  if (reduce) reduced = `\nreduced case, for fixed-cases.ts:\n${caseSource(await reduce())}`
  t.fail(
    `${testCase.id} differs from plain buildx; reproduce: npm run fuzz -- --seed ${SEED} --case ${testCase.id.split(':')[1]} --reduce\n${text}${reduced}`,
  )
}

if (engine) {
  const daemons = [engine.graphdriver, engine.containerd]
  t.comment(`differential: seed ${SEED}, ${CASES} generated cases, ${FIXED_CASES.length} fixed cases`)

  t.test('fixed cases', async (t) => {
    for (const testCase of FIXED_CASES) await judge(t, testCase, await runCase(daemons, testCase))
  })

  t.test(`generated cases of seed ${SEED}`, async (t) => {
    for (let index = 0; index < CASES; index++) {
      const testCase = generateCase(SEED, index, LOCAL_BASE_IMAGE)
      const outcome = await runCase(daemons, testCase)
      const store = triage(outcome.failures, testCase).rest[0]?.store
      const on = daemons.filter((daemon) => daemon.store === store)
      const stillFails = async (candidate: DiffCase): Promise<boolean> =>
        triage((await runCase(on, candidate)).failures, candidate).rest.length > 0
      await judge(t, testCase, outcome, () => reduceCase(testCase, stillFails, REDUCE_BUDGET))
    }
  })

  t.test('a concurrent round: one context, several targets and build args at once', async (t) => {
    const testCase = generateCase(SEED, 10_000, LOCAL_BASE_IMAGE)
    const concurrent = {...testCase, classes: [...testCase.classes, 'concurrent']}
    await judge(t, concurrent, await runConcurrent(engine.graphdriver, testCase, concurrentVariants(testCase)))
  })
}
