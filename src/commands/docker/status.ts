import {BaseCommand} from '../../cli/base-command.js'
import {dockerConfigDir, formatStatus, type PluginStatus, pluginStatus, pluginTarget} from '../../docker-plugin/index.js'

export default class DockerStatus extends BaseCommand {
  static override summary = 'Show whether the docker-dbuild plugin is installed and whether docker build runs through it.'
  static override examples = ['<%= config.bin %> docker status', '<%= config.bin %> docker status --json']
  static override enableJsonFlag = true

  async run(): Promise<PluginStatus> {
    await this.parse(DockerStatus)
    const status = pluginStatus(dockerConfigDir(), pluginTarget(this.config.root, this.config.version))
    this.log(formatStatus(status))
    return status
  }
}
