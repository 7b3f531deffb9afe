import {BaseCommand} from '../../cli/base-command.js'
import {formatHookReports, type HookChange, type HooksLocation, locateHooks, uninstallHooks} from '../../hook/index.js'

export default class HookUninstall extends BaseCommand {
  static override summary = 'Remove exactly what dbuild hook install added; foreign and hook manager files stay byte for byte.'
  static override description = `Only hooks and blocks fingerprinted as dbuild's are removed: a foreign hook that dbuild chained is moved back in place with its bytes and mode, dbuild's block is cut out of husky's .husky/<hook> (a file dbuild created is deleted), and dbuild's script and config block are taken out of lefthook's files.`
  static override examples = ['<%= config.bin %> hook uninstall', '<%= config.bin %> hook uninstall --json']
  static override enableJsonFlag = true

  async run(): Promise<{location: HooksLocation; hooks: HookChange[]}> {
    await this.parse(HookUninstall)
    const location = await locateHooks(process.cwd())
    const hooks = uninstallHooks(location)
    this.log(formatHookReports(location, hooks))
    return {location, hooks}
  }
}
