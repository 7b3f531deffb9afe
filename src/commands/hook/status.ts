import {BaseCommand} from '../../cli/base-command.js'

export default class HookStatus extends BaseCommand {
  static override summary = 'Report each git hook as installed, foreign or missing.'
  static override description = `Looks in the directory git actually uses for hooks, which respects core.hooksPath and worktrees.`
  static override examples = ['<%= config.bin %> hook status', '<%= config.bin %> hook status --json']
  static override strict = false

  async run(): Promise<void> {
    this.notImplemented(6)
  }
}
