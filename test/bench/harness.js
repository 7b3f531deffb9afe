// @ts-check
/**
 * The bench's one way to time something: whole command lines run as processes, dbuild and its
 * contender in turn (the order rotates every round, so neither always runs right after the other),
 * after warm-up rounds. A figure is the median with its spread (25th–75th percentile), and a ratio
 * is the median of the per-round ratios, each taken from two runs seconds apart, which keeps it
 * comparable on a machine whose load comes and goes.
 */
import {execFileSync, spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const HERE = path.dirname(fileURLToPath(import.meta.url))
export const ROOT = path.resolve(HERE, '..', '..')
export const BIN = path.join(ROOT, 'bin', 'run.js')

/** `dbuild ARGS` as a user runs it: the node binary running bin/run.js. */
export const dbuild = (/** @type {string[]} */ ...args) => [process.execPath, BIN, ...args]

/** The machine's load averages over 1, 5 and 15 minutes, and its cores. */
export function load() {
  const [one, five, fifteen] = readFileSync('/proc/loadavg', 'utf8').split(' ')
  return `load ${one} ${five} ${fifteen} on ${os.cpus().length} cores`
}

/**
 * @typedef {object} Command
 * @property {string} label
 * @property {string[]} argv
 * @property {NodeJS.ProcessEnv} [env]
 * @property {string} [cwd]
 * @property {() => void} [before]  untimed, before every run (a cold run's clean-up)
 * @property {number[]} [okCodes]  exit codes that count as success (default [0])
 */

/**
 * @typedef {object} Sample
 * @property {string} label
 * @property {number[]} times  wall milliseconds, one per round
 * @property {number} median
 * @property {number} p25
 * @property {number} p75
 */

/**
 * What run.js hands each bench.
 * @typedef {object} Ctx
 * @property {(spec: {name: string, subject: Command, contender: Command, runs: number, warmup?: number, goal?: number}) => {subject: Sample, contender: Sample}} compare
 *   dbuild's command against its contender's, in turn; logs both and their ratio
 * @property {(name: string, value: string, ratio?: Spread, goal?: number) => void} figure
 *   a figure that is not a ratio of two processes (a peak memory, a cost per file), or one against a fixed budget
 * @property {(text: string) => void} note
 * @property {(spread: Spread) => string} spread  `median (p25–p75)` in ms
 */

/** @typedef {{median: number, p25: number, p75: number}} Spread */

/** @param {number[]} values @param {number} q */
export function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b)
  if (sorted.length === 0) return Number.NaN
  const at = (sorted.length - 1) * q
  const low = Math.floor(at)
  const high = Math.ceil(at)
  return (sorted[low] ?? 0) + ((sorted[high] ?? 0) - (sorted[low] ?? 0)) * (at - low)
}

/** @param {Command} command */
function runOnce(command) {
  command.before?.()
  const start = process.hrtime.bigint()
  const result = spawnSync(command.argv[0] ?? '', command.argv.slice(1), {
    cwd: command.cwd,
    env: command.env ?? process.env,
    stdio: ['ignore', 'ignore', 'pipe'],
    maxBuffer: 64 << 20,
  })
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  if (result.error || !(command.okCodes ?? [0]).includes(result.status ?? -1)) {
    const why = result.error?.message ?? `exit ${result.status ?? result.signal}`
    throw new Error(`bench: ${command.argv.join(' ')} failed (${why})\n${String(result.stderr ?? '').slice(-2000)}`)
  }
  return ms
}

/** @param {string} label @param {number[]} times @returns {Sample} */
function sample(label, times) {
  return {label, times, median: quantile(times, 0.5), p25: quantile(times, 0.25), p75: quantile(times, 0.75)}
}

/**
 * Runs every command once per round, in turn, after `warmup` untimed rounds.
 * @param {Command[]} commands @param {{runs: number, warmup?: number}} options
 * @returns {Sample[]}
 */
export function inTurn(commands, options) {
  for (let round = 0; round < (options.warmup ?? 1); round++) for (const command of commands) runOnce(command)
  /** @type {number[][]} */
  const times = commands.map(() => [])
  for (let round = 0; round < options.runs; round++) {
    for (let k = 0; k < commands.length; k++) {
      const i = (round + k) % commands.length
      times[i]?.push(runOnce(/** @type {Command} */ (commands[i])))
    }
  }
  return commands.map((command, i) => sample(command.label, times[i] ?? []))
}

/**
 * A ratio with its spread: the median of the per-round ratios and their 25th–75th percentile.
 * @param {Sample} subject @param {Sample} contender
 */
export function ratioOf(subject, contender) {
  const ratios = subject.times.map((time, i) => time / (contender.times[i] ?? Number.NaN))
  return {median: quantile(ratios, 0.5), p25: quantile(ratios, 0.25), p75: quantile(ratios, 0.75)}
}

/**
 * A cold `dbuild stage CONTEXT` (its cache directory removed before every run) and its contender,
 * `cp -a` of the same top-level paths into an empty directory: the pair the stage and scale benches
 * both compare.
 * @param {{context: string, paths: string[], cacheDir: string, cpDir: string}} options
 *   `paths`: the context's top-level paths the stage holds (those .dockerignore leaves in)
 * @returns {{subject: Command, contender: Command}}
 */
export function coldStageVsCp({context, paths, cacheDir, cpDir}) {
  return {
    subject: {
      label: 'cold dbuild stage',
      argv: dbuild('stage', context),
      env: {...process.env, DBUILD_CACHE_DIR: cacheDir},
      before: () => rmSync(cacheDir, {recursive: true, force: true}),
    },
    contender: {
      label: 'cp -a',
      argv: ['cp', '-a', ...paths, cpDir],
      before: () => {
        rmSync(cpDir, {recursive: true, force: true})
        mkdirSync(cpDir)
      },
    },
  }
}

/**
 * Peak resident memory (max RSS, MB) of one run, through GNU time.
 * @param {Command} command @returns {number | undefined}
 */
export function peakMemoryMb(command) {
  if (!ensureTool('time', '/usr/bin/time')) return undefined
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dbuild-bench-rss-'))
  try {
    const out = path.join(dir, 'rss')
    command.before?.()
    execFileSync('/usr/bin/time', ['-f', '%M', '-o', out, ...command.argv], {
      cwd: command.cwd,
      env: command.env ?? process.env,
      stdio: 'ignore',
    })
    return Number(readFileSync(out, 'utf8').trim().split('\n').pop()) / 1024
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

/**
 * A Debian tool the bench needs: installed with apt-get when missing and the bench runs as root.
 * @param {string} pkg @param {string} file
 */
export function ensureTool(pkg, file) {
  if (existsSync(file)) return true
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) return false
  try {
    execFileSync('sh', ['-c', `apt-get install -y -q ${pkg} || (apt-get update -q && apt-get install -y -q ${pkg})`], {stdio: 'ignore'})
  } catch {
    return false
  }
  return existsSync(file)
}
