import {Args, Flags} from '@oclif/core'

import {builtinRules} from '../../plugins/index.js'
import {BaseCommand} from '../cli/base-command.js'
import {ExitCode} from '../exit-codes.js'
import {runRules} from '../rewrite/cli.js'
import {type FindingsFormat, formatFindings} from '../rewrite/format.js'

import {PLUGINS_NOTE, ruleFlags, runRequest} from './rewrite.js'

export default class Lint extends BaseCommand {
  static override summary = 'Report risky Dockerfile lines without changing anything.'
  static override description = `Runs every rule and reports its findings as text, JSON, SARIF or GitHub workflow annotations. Writes no file. Probe builds (for facts from the image) run only with --probe. Exits 1 when a finding has error severity.\n\n${PLUGINS_NOTE}`
  static override examples = ['<%= config.bin %> lint', '<%= config.bin %> lint -f Dockerfile --format sarif > dbuild.sarif', '<%= config.bin %> lint --format github']
  static override args = {context: Args.string({description: 'build context directory', default: '.'})}
  static override flags = {
    ...ruleFlags,
    format: Flags.string({description: 'output format', options: ['text', 'json', 'sarif', 'github'], default: 'text'}),
    probe: Flags.boolean({description: 'run BuildKit probe builds for facts rules need', default: false, allowNo: true}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Lint)
    const {file, rules, result} = await runRules(builtinRules, await runRequest(args.context, flags))
    const output = formatFindings(flags.format as FindingsFormat, result.findings, file, rules)
    if (output) this.log(output)
    if (result.findings.some((finding) => finding.severity === 'error')) process.exitCode = ExitCode.FINDINGS
  }
}
