import {BaseCommand} from '../cli/base-command.js'

export default class Rewrite extends BaseCommand {
  static override summary = 'Print the Dockerfile with risky lines rewritten; findings go to stderr.'
  static override description = `Runs the rules from plugins/ (link-chown, exclude-root, image-mirror, …) and splices their edits into the original bytes: where no rule fires the output is byte-identical. The file itself changes only with --write.`
  static override examples = ['<%= config.bin %> rewrite', '<%= config.bin %> rewrite -f docker/Dockerfile --diff', '<%= config.bin %> rewrite --build-arg OWNER=app --write']
  static override strict = false

  async run(): Promise<void> {
    this.notImplemented(4)
  }
}
