import {BaseCommand} from '../../cli/base-command.js'

export default class HookInstall extends BaseCommand {
  static override summary = 'Install the post-checkout, post-merge and post-rewrite hooks that keep file modes canonical.'
  static override description = `Hooks go where git looks for them (git rev-parse --git-path hooks), chained to any foreign hook already there. They need only POSIX sh and git, never fail a checkout, and DBUILD_HOOK=0 turns them off.`
  static override examples = ['<%= config.bin %> hook install']
  static override strict = false

  async run(): Promise<void> {
    this.notImplemented(6)
  }
}
