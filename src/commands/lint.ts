import {Args, Flags} from '@oclif/core'

import lint from '../actions/lint.js'
import {BaseCommand} from '../cli/base-command.js'
import {ruleFlags} from '../cli/rule-flags.js'
import {commandIo} from '../actions/command-io.js'
import {FAILURE_THRESHOLDS, PLUGINS_NOTE} from '../config.js'
import {FINDINGS_FORMATS} from '../rewrite/format.js'

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
    exclude: Flags.string({description: 'leave out of repository-wide lint the paths this fast-glob pattern matches (relative to the current directory; also "lint": {"exclude": [...]} in .dbuild.json)', multiple: true, helpValue: 'GLOB'}),
    probe: Flags.boolean({description: 'run BuildKit probe builds for facts rules need', default: false, allowNo: true}),
  }

  async run(): Promise<void> {
    const {args, argv, flags} = await this.parse(Lint)
    await lint({args, argv: argv as string[], flags}, commandIo(false))
  }
}
