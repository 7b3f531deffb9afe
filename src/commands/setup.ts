import {BaseCommand} from '../cli/base-command.js'

export default class Setup extends BaseCommand {
  static override summary = 'Onboard this checkout: create .dbuild.json, install the hooks, normalize modes, run doctor.'
  static override description = `The one command a new developer runs. It is idempotent and asks nothing when not on a TTY.`
  static override examples = ['<%= config.bin %> setup', '<%= config.bin %> setup --yes --cache-from type=registry,ref=registry.example.com/app:cache']
  static override strict = false

  async run(): Promise<void> {
    this.notImplemented(6)
  }
}
