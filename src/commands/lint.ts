import path from 'node:path'

import {Args, Flags} from '@oclif/core'

import {builtinRules} from '../../plugins/index.js'
import {BaseCommand} from '../cli/base-command.js'
import {colorEnabled} from '../cli/terminal.js'
import {FAILURE_THRESHOLDS, type LoadedConfig, PLUGINS_NOTE} from '../config.js'
import {ExitCode} from '../exit-codes.js'
import {loadInputConfig} from '../pipeline/inputs.js'
import {runRules} from '../rewrite/cli.js'
import {FINDINGS_FORMATS, type FileFindings, type FindingsFormat, formatReport} from '../rewrite/format.js'
import type {Rule} from '../rewrite/index.js'
import {failsThreshold, lintTargets, type LintTarget, thresholdFor} from '../rewrite/lint.js'

import {ruleFlags, runRequest} from './rewrite.js'

export default class Lint extends BaseCommand {
  static override summary = 'Report risky Dockerfile lines without changing anything.'
  static override description = `With no PATH, lints every Dockerfile under the current directory (Dockerfile, Dockerfile.*, *.Dockerfile, *.dockerfile, Containerfile; what git ignores is skipped) in one run, as one report. A PATH that is a file is linted as a Dockerfile; a directory is a build context (its Dockerfile, or -f). Formats: text, json, sarif, github (workflow annotations), gitlab (code quality) and checkstyle; each names the file of every finding. Writes no file. Probe builds (for facts from the image) run only with --probe. Exits 1 when a finding reaches the failure threshold (--failure-threshold, else "failureThreshold" in .dbuild.json, else error).\n\n${PLUGINS_NOTE}`
  static override examples = [
    '<%= config.bin %> lint',
    '<%= config.bin %> lint Dockerfile docker/*.Dockerfile',
    '<%= config.bin %> lint --format sarif > dbuild.sarif',
    '<%= config.bin %> lint --format gitlab > gl-code-quality-report.json',
    '<%= config.bin %> lint -f docker/Dockerfile .',
  ]
  static override strict = false
  static override args = {path: Args.string({description: 'Dockerfiles, or one build context directory (default: every Dockerfile under the current directory)'})}
  static override flags = {
    ...ruleFlags,
    format: Flags.string({description: 'output format', options: [...FINDINGS_FORMATS], default: 'text'}),
    'failure-threshold': Flags.string({char: 't', description: 'exit 1 on a finding of this severity or higher (none: never)', options: [...FAILURE_THRESHOLDS]}),
    probe: Flags.boolean({description: 'run BuildKit probe builds for facts rules need', default: false, allowNo: true}),
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Lint)
    const paths = argv as string[]
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
        if (!loaded) configs.set(key, (loaded = loadInputConfig(inputs)))
        return loaded
      })
      const outcome = await runRules(builtinRules, {...request, note})
      rules = outcome.rules
      reports.push({file: path.relative(cwd, outcome.file) || outcome.file, findings: outcome.result.findings})
      if (failsThreshold(outcome.result.findings, thresholdFor(flags['failure-threshold'], request.loaded))) failed = true
    }
    const output = formatReport(flags.format as FindingsFormat, reports, rules, colorEnabled(process.stdout))
    if (output) this.log(output)
    if (failed) process.exitCode = ExitCode.FINDINGS
  }
}
