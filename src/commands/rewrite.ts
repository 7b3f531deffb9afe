import {Args, Flags} from '@oclif/core'

import rewrite, {type RewriteReport} from '../actions/rewrite.js'
import {BaseCommand} from '../cli/base-command.js'
import {commandIo} from '../cli/direct.js'
import {PLUGINS_NOTE} from '../config.js'

/** Flags rewrite and lint share: where the Dockerfile is and how buildx would build it. */
export const ruleFlags = {
  file: Flags.string({char: 'f', description: 'Dockerfile (default: CONTEXT/Dockerfile)'}),
  'build-arg': Flags.string({description: 'build argument NAME=VALUE, as for buildx', multiple: true}),
  target: Flags.string({description: 'target stage, as for buildx'}),
  platform: Flags.string({description: 'target platform, as for buildx'}),
  network: Flags.string({description: 'buildx --network for the probe builds'}),
  'build-context': Flags.string({description: 'named context NAME=SOURCE, as for buildx: a FROM or --from naming it reads it, not an image', multiple: true}),
  config: Flags.string({description: 'use FILE instead of the .dbuild.json found from the context up to the git root', helpValue: 'FILE'}),
  plugins: Flags.boolean({
    description: "run the rule plugins that .dbuild.json lists: they are the repository's own JavaScript and run as code with your rights (default: not run, or DBUILD_PLUGINS=1)",
    allowNo: true,
  }),
}

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
