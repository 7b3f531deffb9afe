import {BaseCommand} from '../../cli/base-command.js'
import {buildxShimStatus, formatShimStatus, type ShimStatus} from '../../docker-plugin/buildx-shim.js'
import {dockerConfigDir, formatStatus, type PluginStatus, pluginStatus, pluginTarget} from '../../docker-plugin/index.js'

export default class DockerStatus extends BaseCommand {
  static override summary = 'Show whether the docker-dbuild plugin and the docker-buildx shim are installed and whether docker build runs through them.'
  static override examples = ['<%= config.bin %> docker status', '<%= config.bin %> docker status --json']
  static override enableJsonFlag = true

  async run(): Promise<PluginStatus & {buildx: ShimStatus}> {
    await this.parse(DockerStatus)
    const target = pluginTarget(this.config.root, this.config.version)
    const status = pluginStatus(dockerConfigDir(), target)
    const buildx = buildxShimStatus(dockerConfigDir(), target)
    this.log(formatStatus(status))
    this.log(formatShimStatus(buildx))
    return {...status, buildx}
  }
}
