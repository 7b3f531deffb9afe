import {BaseCommand} from '../../cli/base-command.js'
import {formatHookReports, type HookChange, type HooksLocation, locateHooks, uninstallHooks} from '../../hook/index.js'

export default class HookUninstall extends BaseCommand {
  static override summary = 'Remove dbuild\'s git hooks and restore any foreign hook byte for byte.'
  static override description = `Only hooks fingerprinted as dbuild's are removed; a foreign hook that dbuild chained is moved back in place with its bytes and mode.`
  static override examples = ['<%= config.bin %> hook uninstall', '<%= config.bin %> hook uninstall --json']
  static override enableJsonFlag = true

  async run(): Promise<{location: HooksLocation; hooks: HookChange[]}> {
    await this.parse(HookUninstall)
    const location = await locateHooks(process.cwd())
    const hooks = uninstallHooks(location.dir)
    this.log(formatHookReports(location, hooks))
    return {location, hooks}
  }
}
