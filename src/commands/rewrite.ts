import {Args, Flags} from '@oclif/core'

import rewrite, {type RewriteReport} from '../actions/rewrite.js'
import {BaseCommand} from '../cli/base-command.js'
import {commandIo} from '../actions/command-io.js'
import {PLUGINS_NOTE} from '../config.js'
import {ruleFlags} from '../cli/rule-flags.js'

export default class Rewrite extends BaseCommand {
  static override summary = 'Print the Dockerfile with risky lines rewritten; findings go to stderr.'
  static override description = `Runs the rules from plugins/ (link-chown, exclude-root, image-mirror, …) and splices their edits into the original bytes: where no rule fires the output is byte-identical. Rules that need facts from the image (users at a line, a stage's tree) get them from small BuildKit probe builds, cached on disk. The file itself changes only with --write, and only the bytes of the lines a rule fixed: every other byte (Latin-1 text, CRLF, a byte order mark) stays as it was.

${PLUGINS_NOTE}`
  static override examples = ['<%= config.bin %> rewrite', '<%= config.bin %> rewrite -f docker/Dockerfile --diff', '<%= config.bin %> rewrite --build-arg OWNER=app --write']
  static override enableJsonFlag = true
  static override args = {context: Args.string({description: 'build context directory', default: '.'})}
  static override flags = {
    ...ruleFlags,
    probe: Flags.boolean({description: 'run BuildKit probe builds for facts rules need', default: true, allowNo: true}),
    diff: Flags.boolean({description: 'print a unified diff instead of the rewritten file', exclusive: ['write']}),
    write: Flags.boolean({description: 'rewrite the Dockerfile in place'}),
  }

  async run(): Promise<RewriteReport> {
    const {args, argv, flags} = await this.parse(Rewrite)
    return (await rewrite({args, argv: argv as string[], flags}, commandIo(this.jsonEnabled()))) as RewriteReport
  }
}
