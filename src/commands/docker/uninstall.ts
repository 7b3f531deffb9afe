import {BaseCommand} from '../../cli/base-command.js'
import {type ShimUninstallResult, uninstallBuildxShim} from '../../docker-plugin/buildx-shim.js'
import {dockerConfigDir, uninstallPlugin, type UninstallResult} from '../../docker-plugin/index.js'

export default class DockerUninstall extends BaseCommand {
  static override summary = 'Remove the docker-dbuild plugin and give config.json back as it was.'
  static override description = `Removes $DOCKER_CONFIG/cli-plugins/docker-dbuild, and the docker-buildx shim with the docker-buildx it displaced put back as it was. When --alias had set aliases.builder, config.json is restored byte for byte; if docker or you changed it since, only the alias is taken out and the rest is kept.`
  static override examples = ['<%= config.bin %> docker uninstall']
  static override enableJsonFlag = true

  async run(): Promise<UninstallResult & {buildx: ShimUninstallResult}> {
    await this.parse(DockerUninstall)
    const result = uninstallPlugin(dockerConfigDir())
    const buildx = uninstallBuildxShim(dockerConfigDir())
    this.log(`plugin ${result.removed ? 'removed' : 'was not installed'}: ${result.plugin}`)
    if (result.config === 'restored') this.log('config.json restored byte for byte')
    if (result.config === 'edited') this.log('config.json changed since install: only aliases.builder was removed')
    if (buildx.outcome === 'restored') this.log(`buildx shim removed: the docker-buildx from before is back at ${buildx.shim}`)
    if (buildx.outcome === 'removed') this.log(`buildx shim removed: ${buildx.shim}`)
    if (buildx.outcome === 'replaced') this.log(`buildx shim: another docker-buildx had replaced it at ${buildx.shim}; that one stays`)
    return {...result, buildx}
  }
}
