import {BaseCommand} from '../../cli/base-command.js'
import {formatHookReports, type HookReport, type HooksLocation, hookStatus, locateHooks} from '../../hook/index.js'

export default class HookStatus extends BaseCommand {
  static override summary = 'Report each git hook as installed, foreign or missing.'
  static override description = `Looks in the directory git actually uses for hooks, which respects core.hooksPath and worktrees, and says which foreign hooks dbuild's hooks chain.`
  static override examples = ['<%= config.bin %> hook status', '<%= config.bin %> hook status --json']
  static override enableJsonFlag = true

  async run(): Promise<{location: HooksLocation; hooks: HookReport[]}> {
    await this.parse(HookStatus)
    const location = await locateHooks(process.cwd())
    const hooks = hookStatus(location.dir)
    this.log(formatHookReports(location, hooks))
    return {location, hooks}
  }
}
