import {BaseCommand} from '../cli/base-command.js'

export default class Normalize extends BaseCommand {
  static override summary = 'Set a git work tree\'s file modes in place to the canonical modes from git\'s index.'
  static override description = `Tracked files recorded as 100755 become 0755, every other tracked file 0644, and the directories that hold them 0755. Used by \`dbuild setup\` and the git hooks so that even a plain \`docker build\` gets consistent checksums.`
  static override examples = ['<%= config.bin %> normalize', '<%= config.bin %> normalize path/to/repo --json']
  static override strict = false

  async run(): Promise<void> {
    this.notImplemented(3)
  }
}
