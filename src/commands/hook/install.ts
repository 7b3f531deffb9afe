import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {formatHookReports, type HookChange, type HooksLocation, installHooks, locateHooks} from '../../hook/index.js'

export default class HookInstall extends BaseCommand {
  static override summary = 'Install the post-checkout, post-merge and post-rewrite hooks that keep file modes canonical.'
  static override description = `Registers through the hook manager the repository already uses: with husky 9 (core.hooksPath=.husky/_) a guarded block at the top of the committed .husky/post-checkout, post-merge and post-rewrite (created when missing; .husky/_ is never written); with lefthook a script in lefthook-local.yml (lefthook.yml with --shared) that lefthook runs with git's arguments. Otherwise the hooks go where git looks for them (git rev-parse --git-path hooks), chained to any foreign hook already there, which is kept as <hook>.dbuild-chained and run after dbuild's with the same arguments and stdin. The hooks need only POSIX sh and git, never fail a git command (a chained hook's own exit status is passed through), and DBUILD_HOOK=0 turns them off. Running it again changes nothing, and it repairs a hook a manager displaced.`
  static override examples = ['<%= config.bin %> hook install', '<%= config.bin %> hook install --shared', '<%= config.bin %> hook install --json']
  static override enableJsonFlag = true
  static override flags = {
    shared: Flags.boolean({description: 'With lefthook: register in the committed lefthook.yml (every clone runs it) instead of lefthook-local.yml.'}),
  }

  async run(): Promise<{location: HooksLocation; hooks: HookChange[]}> {
    const {flags} = await this.parse(HookInstall)
    const location = await locateHooks(process.cwd())
    const hooks = installHooks(location, {shared: flags.shared})
    this.log(formatHookReports(location, hooks))
    return {location, hooks}
  }
}
