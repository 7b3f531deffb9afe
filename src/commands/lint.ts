import {BaseCommand} from '../cli/base-command.js'

export default class Lint extends BaseCommand {
  static override summary = 'Report risky Dockerfile lines without changing anything.'
  static override description = `Runs every rule and reports its findings as text, JSON, SARIF or GitHub workflow annotations. Exits 1 when a finding has error severity.`
  static override examples = ['<%= config.bin %> lint', '<%= config.bin %> lint -f Dockerfile --format sarif > dbuild.sarif', '<%= config.bin %> lint --format github']
  static override strict = false

  async run(): Promise<void> {
    this.notImplemented(4)
  }
}
