/** `dbuild lint`: its body, whichever path runs it (the command table, src/cli/command-table.ts). */
import path from 'node:path'

import {builtinRules} from '../../plugins/index.js'
import type {CommandAction} from './command-io.js'
import {colorEnabled} from '../terminal.js'
import {fromWorkingDirectory, workingDirectory} from '../working-dir.js'
import {excludeProblem, type LoadedConfig} from '../config.js'
import {DbuildError, ExitCode} from '../exit-codes.js'
import {writeLine} from '../printable.js'
import {loadInputConfig} from '../pipeline/inputs.js'
import {type RuleFlags, runRequest} from './rule-request.js'
import {runRules} from '../rewrite/run-rules.js'
import {type FileFindings, type FindingsFormat, formatReport} from '../rewrite/format.js'
import type {Rule} from '../rewrite/index.js'
import {excludesFrom, failsThreshold, lintTargets, type LintTarget, thresholdFor} from '../rewrite/lint.js'

/** `format` is one of FINDINGS_FORMATS: the flag's options say so on both paths. */
export type LintFlags = RuleFlags & {format: string; 'failure-threshold'?: string; exclude?: string[]}

/**
 * What repository-wide lint leaves out: --exclude (relative to the working directory), then the
 * `lint.exclude` of the config a build from here would use (relative to that file). A bad
 * --exclude is a usage error, named.
 */
async function discoveryExcludes(flags: LintFlags, cwd: string): Promise<string[]> {
  const given = flags.exclude ?? []
  for (const pattern of given) {
    const problem = excludeProblem(pattern)
    if (problem) throw new DbuildError(`--exclude ${JSON.stringify(pattern)}: ${problem}`, ExitCode.USAGE)
  }
  const loaded = await loadInputConfig({cwd, env: process.env, contextDir: cwd}, flags.config)
  const configured = loaded.path ? excludesFrom(loaded.config.lint?.exclude ?? [], path.dirname(loaded.path), cwd) : []
  return [...given, ...configured]
}

/** "3 files, 2 findings" */
function lintedCount(reports: FileFindings[]): string {
  const findings = reports.reduce((sum, report) => sum + report.findings.length, 0)
  return `${reports.length} ${reports.length === 1 ? 'file' : 'files'}, ${findings} ${findings === 1 ? 'finding' : 'findings'}`
}

const lint: CommandAction<LintFlags> = async ({argv, flags}, io): Promise<void> => {
  const paths = argv
  const cwd = workingDirectory()
  // -f names the Dockerfile of one context, as for buildx: the old single-file form
  const discovering = flags.file === undefined && paths.length === 0
  const skipped: string[] = []
  const discovery = discovering
    ? {
        exclude: await discoveryExcludes(flags, cwd ?? fromWorkingDirectory('.', 'the directory to lint', cwd)),
        skipped: (file: string) => skipped.push(file),
      }
    : {}
  const targets: LintTarget[] =
    flags.file === undefined
      ? await lintTargets(paths, cwd, process.env, discovery)
      : [
          {
            file: fromWorkingDirectory(flags.file, 'the Dockerfile', cwd),
            contextDir: fromWorkingDirectory(paths[0] ?? '.', 'the context', cwd),
          },
        ]
  if (skipped.length > 0) {
    const shown = skipped.slice(0, 3).join(', ') + (skipped.length > 3 ? ', …' : '')
    writeLine(
      process.stderr,
      `dbuild: skipped ${skipped.length} ${skipped.length === 1 ? 'template' : 'templates'} named like a Dockerfile ({{ placeholders): ${shown}; name a file to lint it`,
    )
  }
  const configs = new Map<string, Promise<LoadedConfig>>()
  const reports: FileFindings[] = []
  let rules: Rule[] = builtinRules
  let failed = false
  // the config line and plugin warnings once per config, not once per Dockerfile
  const said = new Set<string>()
  const note = (line: string) => {
    if (!said.has(line)) writeLine(process.stderr, line)
    said.add(line)
  }
  for (const target of targets) {
    const request = await runRequest(target.contextDir, {...flags, file: target.file}, (inputs) => {
      const key = inputs.contextDir ?? inputs.cwd ?? ''
      let loaded = configs.get(key)
      if (!loaded) configs.set(key, (loaded = loadInputConfig(inputs, flags.config)))
      return loaded
    })
    const outcome = await runRules(builtinRules, {...request, note})
    rules = outcome.rules
    reports.push({
      file: (cwd === undefined ? undefined : path.relative(cwd, outcome.file)) || outcome.file,
      findings: outcome.result.findings,
    })
    if (failsThreshold(outcome.result.findings, thresholdFor(flags['failure-threshold'], request.loaded))) failed = true
  }
  const output = formatReport(flags.format as FindingsFormat, reports, rules, colorEnabled(process.stdout))
  // the text format escapes the user's text itself, around its colours
  if (output) io.log(output, {painted: flags.format === 'text'})
  if (flags.format === 'text') process.stderr.write(`dbuild: linted ${lintedCount(reports)}\n`)
  if (failed) process.exitCode = ExitCode.FINDINGS
}

export default lint
