import {BaseCommand} from '../../cli/base-command.js'

export default class HookUninstall extends BaseCommand {
  static override summary = 'Remove dbuild\'s git hooks and restore any foreign hook byte for byte.'
  static override description = `Only hooks fingerprinted as dbuild's are removed.`
  static override examples = ['<%= config.bin %> hook uninstall']
  static override strict = false

  async run(): Promise<void> {
    this.notImplemented(6)
  }
}
