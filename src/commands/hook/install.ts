import {BaseCommand} from '../../cli/base-command.js'
import {formatHookReports, type HookChange, type HooksLocation, installHooks, locateHooks} from '../../hook/index.js'

export default class HookInstall extends BaseCommand {
  static override summary = 'Install the post-checkout, post-merge and post-rewrite hooks that keep file modes canonical.'
  static override description = `Hooks go where git looks for them (git rev-parse --git-path hooks), chained to any foreign hook already there, which is kept as <hook>.dbuild-chained and run after dbuild's with the same arguments and stdin. They need only POSIX sh and git, never fail a checkout (a chained hook's own exit status is passed through), and DBUILD_HOOK=0 turns them off. Running it again changes nothing.`
  static override examples = ['<%= config.bin %> hook install', '<%= config.bin %> hook install --json']
  static override enableJsonFlag = true

  async run(): Promise<{location: HooksLocation; hooks: HookChange[]}> {
    await this.parse(HookInstall)
    const location = await locateHooks(process.cwd())
    const hooks = installHooks(location.dir)
    this.log(formatHookReports(location, hooks))
    return {location, hooks}
  }
}
