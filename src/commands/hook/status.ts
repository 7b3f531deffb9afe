import {BaseCommand} from '../../cli/base-command.js'
import {COVERAGE, formatCoverage, formatHookReports, type HookReport, type HooksLocation, hookStatus, locateHooks} from '../../hook/index.js'

export default class HookStatus extends BaseCommand {
  static override summary = 'Report each git hook as installed, missing, foreign or displaced, and what the hooks cover.'
  static override description = `Looks where dbuild's hooks are registered: git's hooks directory (respecting core.hooksPath and worktrees), husky's .husky/<hook> or lefthook's config. A hook another tool replaced or moved aside is reported as displaced, with the tool's name; dbuild hook install repairs it. Also lists the git commands that run no hook (reset --hard, stash pop/apply, cherry-pick) and what covers them.`
  static override examples = ['<%= config.bin %> hook status', '<%= config.bin %> hook status --json']
  static override enableJsonFlag = true

  async run(): Promise<{location: HooksLocation; hooks: HookReport[]; coverage: typeof COVERAGE}> {
    await this.parse(HookStatus)
    const location = await locateHooks(process.cwd())
    const hooks = hookStatus(location)
    this.log(formatHookReports(location, hooks))
    this.log(formatCoverage())
    return {location, hooks, coverage: COVERAGE}
  }
}
