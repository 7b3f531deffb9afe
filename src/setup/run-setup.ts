/**
 * `dbuild setup`, the onboarding path, idempotent and in this order: .dbuild.json, hooks, normalize,
 * doctor, next steps.
 */
import {existsSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {applyEdits, modify} from 'jsonc-parser'

import {cacheSpecProblem, CONFIG_FILE, parseConfig, readConfigText} from '../config.js'
import {type DoctorReport, runDoctor} from '../doctor/run-doctor.js'
import {installPlugin, type PluginTarget, pluginStatus} from '../docker-plugin/install.js'
import {dockerConfigDir} from '../docker-config.js'
import {DbuildError, ExitCode} from '../exit-codes.js'
import {gitRoot} from '../git.js'
import {type HookChange, type HooksLocation, installHooks, locateHooks} from '../hook/hooks.js'
import {normalizeWorkTree} from '../stage/normalize.js'

export interface SetupOptions {
  cwd: string
  /** --cache-from specs to put in .dbuild.json. */
  cacheFrom?: string[]
  /** Asks a question on a TTY; absent (not a TTY, or --yes) means nothing is asked. */
  ask?: (question: string) => Promise<string>
  env?: NodeJS.ProcessEnv
  builder?: string
  /** Offer the Docker CLI plugin (`docker dbuild`) for this dbuild; installed when `yes`, or when the answer to `ask` is yes. */
  dockerPlugin?: PluginTarget
  yes?: boolean
}

export type ConfigAction = 'created' | 'invalid' | 'kept' | 'updated'

export interface SetupReport {
  root: string
  config: {path: string; action: ConfigAction; error?: string}
  hooks: {location: HooksLocation; hooks: HookChange[]}
  normalized: {files: number; changed: number}
  doctor: DoctorReport
  /** installed now, already there, or offered (not installed: not asked, or declined). */
  dockerPlugin?: {path: string; action: 'installed' | 'kept' | 'offered'}
  nextSteps: string[]
}

/** Creates .dbuild.json, or adds the cacheFrom specs it lacks while keeping its formatting. */
async function ensureConfig(root: string, options: SetupOptions): Promise<SetupReport['config']> {
  const file = path.join(root, CONFIG_FILE)
  let specs = options.cacheFrom ?? []
  for (const spec of specs) {
    const problem = cacheSpecProblem(spec)
    if (problem)
      throw new DbuildError(`--cache-from ${JSON.stringify(spec)} ${problem}`, ExitCode.USAGE, [
        'Pass the spec without it, e.g. --cache-from type=registry,ref=registry.example.com/app:cache',
      ])
  }
  if (!existsSync(file)) {
    if (specs.length === 0 && options.ask) {
      const answer = (
        await options.ask(
          'Registry cache to pull from, as a --cache-from spec (e.g. type=registry,ref=registry.example.com/app:cache); empty for none: ',
        )
      ).trim()
      if (answer) specs = [answer]
    }
    writeFileSync(file, `${JSON.stringify({cacheFrom: specs}, null, 2)}\n`)
    return {path: file, action: 'created'}
  }
  let text: string
  let existing: string[]
  try {
    text = readConfigText(file)
    existing = parseConfig(text, file).cacheFrom ?? []
  } catch (error) {
    if (error instanceof DbuildError) return {path: file, action: 'invalid', error: error.message}
    throw error
  }
  const missing = specs.filter((spec) => !existing.includes(spec))
  if (missing.length === 0) return {path: file, action: 'kept'}
  const edits = modify(text, ['cacheFrom'], [...existing, ...missing], {formattingOptions: {insertSpaces: true, tabSize: 2}})
  writeFileSync(file, applyEdits(text, edits))
  return {path: file, action: 'updated'}
}

/** The Docker CLI plugin, offered: with it `docker dbuild build` works (the builder alias stays the user's choice). */
async function offerPlugin(target: PluginTarget, options: SetupOptions): Promise<SetupReport['dockerPlugin']> {
  const configDir = dockerConfigDir(options.env)
  const status = pluginStatus(configDir, target)
  if (status.installed === 'current') return {path: status.plugin, action: 'kept'}
  let install = options.yes === true
  if (!install && options.ask)
    install = /^y(es)?$/i.test(
      (await options.ask('Install dbuild as a Docker CLI plugin, so `docker dbuild build …` works? [y/N] ')).trim(),
    )
  if (!install) return {path: status.plugin, action: 'offered'}
  return {path: installPlugin(configDir, target, {alias: false}).plugin, action: 'installed'}
}

function nextSteps(report: Omit<SetupReport, 'nextSteps'>): string[] {
  const steps: string[] = []
  const rel = path.relative(process.cwd(), report.config.path) || CONFIG_FILE
  if (report.config.action === 'created' || report.config.action === 'updated') steps.push(`Review and commit ${rel}.`)
  if (report.config.action === 'invalid') steps.push(`Fix ${report.config.error}`)
  if (report.hooks.location.note) steps.push(report.hooks.location.note)
  for (const check of report.doctor.checks) {
    if (check.status === 'fail' && check.fix) steps.push(`${check.title}: ${check.fix}`)
  }
  // each step is a command line that works as printed, from the directory setup ran in
  const context = path.relative(process.cwd(), report.root) || '.'
  if (existsSync(path.join(report.root, 'Dockerfile'))) {
    steps.push(`Build (the same flags as docker buildx build): dbuild -t app ${context}`)
    steps.push(`Check the Dockerfile without building: dbuild lint ${context}`)
  } else {
    steps.push('Build (the same flags as docker buildx build): dbuild -t app -f DIR/Dockerfile DIR')
    steps.push(`Check every Dockerfile without building: dbuild lint ${context}`)
  }
  if (report.dockerPlugin?.action === 'offered')
    steps.push(
      'Run docker build through dbuild: dbuild docker install (docker dbuild build …), or dbuild docker install --alias (plain docker build)',
    )
  return steps
}

export async function runSetup(options: SetupOptions): Promise<SetupReport> {
  const root = await gitRoot(options.cwd)
  if (root === undefined) {
    throw new DbuildError(`${path.resolve(options.cwd)}: not a git work tree`, ExitCode.NO_INPUT, [
      'Run dbuild setup inside your checkout.',
    ])
  }
  const config = await ensureConfig(root, options)
  const location = await locateHooks(root)
  const hooks = installHooks(location)
  const normalized = await normalizeWorkTree(root)
  const doctor = await runDoctor({cwd: root, env: options.env, builder: options.builder})
  const dockerPlugin = options.dockerPlugin ? await offerPlugin(options.dockerPlugin, options) : undefined
  const report = {root, config, hooks: {location, hooks}, normalized, doctor, ...(dockerPlugin ? {dockerPlugin} : {})}
  return {...report, nextSteps: nextSteps(report)}
}
