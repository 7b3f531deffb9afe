/** `dbuild lint`: the body its oclif class and the oclif-free path (src/cli/direct.ts) both run. */
import path from 'node:path'

import {builtinRules} from '../../plugins/index.js'
import type {CommandAction} from '../cli/direct.js'
import {colorEnabled} from '../cli/terminal.js'
import type {LoadedConfig} from '../config.js'
import {ExitCode} from '../exit-codes.js'
import {loadInputConfig} from '../pipeline/inputs.js'
import {type RuleFlags, runRequest, runRules} from '../rewrite/cli.js'
import {type FileFindings, type FindingsFormat, formatReport} from '../rewrite/format.js'
import type {Rule} from '../rewrite/index.js'
import {failsThreshold, lintTargets, type LintTarget, thresholdFor} from '../rewrite/lint.js'

/** `format` is one of FINDINGS_FORMATS: the flag's options say so on both paths. */
export type LintFlags = RuleFlags & {format: string; 'failure-threshold'?: string}

const lint: CommandAction<LintFlags> = async ({argv, flags}, io): Promise<void> => {
  const paths = argv
  const cwd = process.cwd()
  // -f names the Dockerfile of one context, as for buildx: the old single-file form
  const targets: LintTarget[] = flags.file === undefined ? await lintTargets(paths, cwd, process.env) : [{file: path.resolve(cwd, flags.file), contextDir: path.resolve(cwd, paths[0] ?? '.')}]
  const configs = new Map<string, Promise<LoadedConfig>>()
  const reports: FileFindings[] = []
  let rules: Rule[] = builtinRules
  let failed = false
  // the config line and plugin warnings once per config, not once per Dockerfile
  const said = new Set<string>()
  const note = (line: string) => {
    if (!said.has(line)) process.stderr.write(`${line}\n`)
    said.add(line)
  }
  for (const target of targets) {
    const request = await runRequest(target.contextDir, {...flags, file: target.file}, (inputs) => {
      const key = inputs.contextDir ?? inputs.cwd
      let loaded = configs.get(key)
      if (!loaded) configs.set(key, (loaded = loadInputConfig(inputs, flags.config)))
      return loaded
    })
    const outcome = await runRules(builtinRules, {...request, note})
    rules = outcome.rules
    reports.push({file: path.relative(cwd, outcome.file) || outcome.file, findings: outcome.result.findings})
    if (failsThreshold(outcome.result.findings, thresholdFor(flags['failure-threshold'], request.loaded))) failed = true
  }
  const output = formatReport(flags.format as FindingsFormat, reports, rules, colorEnabled(process.stdout))
  if (output) io.log(output)
  if (failed) process.exitCode = ExitCode.FINDINGS
}

export default lint
