#!/usr/bin/env node
// @ts-check
/**
 * `npm run bench`: runs every test/bench/*.bench.js in name order. Every figure is a whole command
 * line run as a process against its contender's whole process, in turn, after a warm-up (see
 * harness.js); the machine's load is printed before and after each bench. Ends with the goals met
 * and missed, and the same figures as the Markdown table the README's Speed section holds.
 *
 * `node test/bench/run.js stage build` runs only the benches whose names start with those words.
 * DBUILD_BENCH_RUNS sets the rounds per figure; DBUILD_BENCH_SCALE=200000 adds a 200,000-file
 * context to the scale bench (see scale.bench.js).
 *
 * Every figure is taken on this Node (20), and then the start-up bench, where the runtime weighs
 * most, again on Node 24 (from npm, see test/engine/node.js), with its own summary and table:
 * DBUILD_BENCH_NODE24=all re-runs every chosen bench there, =none none, or a list of bench names
 * (`startup,stage`). `DBUILD_BENCH_RUNS=2 DBUILD_BENCH_NODE24=startup node test/bench/run.js startup`
 * checks both runtimes quickly.
 */
import {spawnSync} from 'node:child_process'
import {readdirSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {THIS_NODE_MAJOR, nodeBinary} from '../engine/node.js'
import {inTurn, load, ratioOf} from './harness.js'

const HERE = path.dirname(fileURLToPath(import.meta.url))

/**
 * @typedef {object} Line
 * @property {string} bench
 * @property {string} name
 * @property {string} subject  dbuild's median and spread
 * @property {string} [contender]  the contender's label, median and spread
 * @property {{median: number, p25: number, p75: number}} [ratio]
 * @property {number} [goal]
 */

/** @type {Line[]} */
const lines = []
/** @type {string[]} */
const loads = []
/** @type {string[]} */
const failures = []

const ms = (/** @type {number} */ value) => (value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${value.toFixed(0)} ms`)
const spread = (/** @type {{median: number, p25: number, p75: number}} */ s) => `${ms(s.median)} (${ms(s.p25)}–${ms(s.p75)})`
const times = (/** @type {number} */ value) => `${value.toFixed(2)}×`
const ratioText = (/** @type {Line['ratio']} */ r) => (r ? `${times(r.median)} (${r.p25.toFixed(2)}–${r.p75.toFixed(2)})` : '')
const verdict = (/** @type {Line} */ line) =>
  line.goal === undefined ? '' : `goal ≤${line.goal}×: ${line.ratio && line.ratio.median <= line.goal ? 'met' : 'MISSED'}`

/** @param {Line} line */
function format(line) {
  const against = line.contender ? `  vs ${line.contender}` : ''
  return `  ${line.name}\n      ${line.subject}${against}${line.ratio ? `  →  ${ratioText(line.ratio)}` : ''}  ${verdict(line)}`
}

const only = process.argv.slice(2)
const files = readdirSync(HERE)
  .filter((name) => name.endsWith('.bench.js') && (only.length === 0 || only.some((word) => name.startsWith(word))))
  .sort()
console.log(`dbuild bench, node ${process.version}, ${load()}`)
for (const file of files) {
  const before = load()
  console.log(`\n${file} (${before})`)
  const mod = await import(pathToFileURL(path.join(HERE, file)).href)
  /** @param {Line} line */
  const add = (line) => {
    lines.push(line)
    console.log(format(line))
  }
  const ctx = {
    /**
     * dbuild's command against its contender's, in turn; logs both and their ratio.
     * @param {{name: string, subject: import('./harness.js').Command, contender: import('./harness.js').Command, runs: number, warmup?: number, goal?: number}} spec
     */
    compare(spec) {
      const [subject, contender] = inTurn([spec.subject, spec.contender], spec)
      if (!subject || !contender) throw new Error('bench: no samples')
      add({
        bench: file,
        name: spec.name,
        subject: spread(subject),
        contender: `${spec.contender.label} ${spread(contender)}`,
        ratio: ratioOf(subject, contender),
        ...(spec.goal === undefined ? {} : {goal: spec.goal}),
      })
      return {subject, contender}
    },
    /**
     * A figure that is not a ratio of two processes (a count, a peak memory, a rate), or one
     * measured against a fixed budget.
     * @param {string} name @param {string} value @param {{median: number, p25: number, p75: number}} [ratio] @param {number} [goal]
     */
    figure(name, value, ratio, goal) {
      add({bench: file, name, subject: value, ...(ratio ? {ratio} : {}), ...(goal === undefined ? {} : {goal})})
    },
    /** @param {string} text */
    note(text) {
      console.log(`  ${text}`)
    },
    spread,
  }
  try {
    await mod.default(ctx)
  } catch (error) {
    // one broken bench must not cost the others' figures
    failures.push(file)
    console.log(`  FAILED: ${error instanceof Error ? error.message : String(error)}`)
  }
  const after = load()
  loads.push(`${file}: before ${before.replace(/^load /, '')}; after ${after.replace(/^load /, '')}`)
  console.log(`  (${after})`)
}

const goals = lines.filter((line) => line.goal !== undefined)
const missed = goals.filter((line) => !line.ratio || line.goal === undefined || line.ratio.median > line.goal)
console.log(
  `\nsummary: ${goals.length - missed.length} of ${goals.length} goals met${failures.length ? `; FAILED: ${failures.join(', ')}` : ''}`,
)
for (const line of goals) console.log(`  ${verdict(line).padEnd(18)} ${line.name}: ${ratioText(line.ratio)}`)

console.log('\nREADME table (median, 25th–75th percentile; ratio = median of per-round ratios):\n')
console.log('| Measure | dbuild | Contender | Ratio | Goal |')
console.log('|---|---|---|---|---|')
for (const line of lines) {
  console.log(
    `| ${line.name} | ${line.subject} | ${line.contender ?? ''} | ${ratioText(line.ratio)} | ${line.goal === undefined ? '' : verdict(line).replace('goal ', '')} |`,
  )
}
console.log(`\nnode ${process.version}; load averages (1, 5, 15 min) around each bench:`)
for (const line of loads) console.log(`- ${line}`)
if (failures.length > 0) process.exitCode = 1

// The same benches on the other runtime: a child on Node 24 that prints its own summary and table.
const SECOND_NODE = 24
const again = (process.env.DBUILD_BENCH_NODE24 ?? 'startup').trim()
if (THIS_NODE_MAJOR !== SECOND_NODE && again !== 'none' && again !== '') {
  const names = again === 'all' ? files : files.filter((name) => again.split(',').some((word) => name.startsWith(word.trim())))
  if (names.length > 0) {
    const words = names.map((name) => name.replace(/\.bench\.js$/, ''))
    console.log(`\n======== on Node ${SECOND_NODE}: ${words.join(', ')} ========\n`)
    const child = spawnSync(nodeBinary(SECOND_NODE), [fileURLToPath(import.meta.url), ...words], {
      stdio: 'inherit',
      env: {...process.env, DBUILD_BENCH_NODE24: 'none'},
    })
    if (child.status !== 0) process.exitCode = 1
  }
}
