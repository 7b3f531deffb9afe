import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {installBuildxShim, type ShimInstallResult} from '../../docker-plugin/buildx-shim.js'
import {dockerConfigDir, type InstallResult, installPlugin, pluginTarget} from '../../docker-plugin/index.js'

export default class DockerInstall extends BaseCommand {
  static override summary = 'Make `docker dbuild …` work: install dbuild as a Docker CLI plugin (with --alias, plain `docker build` too).'
  static override description = `Writes the docker-dbuild executable into $DOCKER_CONFIG/cli-plugins (default ~/.docker/cli-plugins), so \`docker dbuild build …\` and \`docker dbuild bake …\` run dbuild, with docker's global flags (--host, --context, --config, --tls…) honoured.

--alias also sets "aliases": {"builder": "dbuild"} in config.json: plain \`docker build\` and \`docker image build\` then run through dbuild, and \`docker builder …\` subcommands dbuild does not handle (prune, du, ls, …) go to buildx unchanged. Only that key is added; \`dbuild docker uninstall\` gives config.json back byte for byte.

--buildx also writes a docker-buildx shim there, the buildx docker and Compose find first: \`docker buildx build\`, \`docker build\`, \`docker buildx bake\` (and \`b\`, \`f\`) and Compose's builds run through dbuild; every other buildx command is the real buildx, exec'd untouched. A docker-buildx already there is kept aside and is the real buildx; running install --buildx again repairs a shim another buildx wrote over. DBUILD_BUILDX_SHIM=0 bypasses it for one command.`
  static override examples = ['<%= config.bin %> docker install', '<%= config.bin %> docker install --alias', 'DOCKER_CONFIG=/tmp/docker <%= config.bin %> docker install --json']
  static override enableJsonFlag = true
  static override flags = {
    alias: Flags.boolean({description: 'route plain `docker build` through dbuild (config.json aliases.builder)'}),
    buildx: Flags.boolean({description: 'install a docker-buildx shim: docker buildx build/bake and Compose run through dbuild'}),
  }

  async run(): Promise<InstallResult & {buildx?: ShimInstallResult}> {
    const {flags} = await this.parse(DockerInstall)
    const result = installPlugin(dockerConfigDir(), pluginTarget(this.config.root, this.config.version), {alias: flags.alias})
    this.log(`plugin ${result.written ? 'installed' : 'already installed'}: ${result.plugin} (docker dbuild …)`)
    if (result.alias !== 'not asked') this.log(`alias ${result.alias}: docker build runs through dbuild (${result.config})`)
    if (!flags.buildx) return result
    const shim = installBuildxShim(dockerConfigDir(), pluginTarget(this.config.root, this.config.version))
    this.log(`buildx shim ${shim.state === 'written' ? 'installed' : 'already installed'}: ${shim.shim}${shim.kept ? ` (the docker-buildx that was there is kept as ${shim.kept})` : ''}`)
    if (shim.real) this.log(`real buildx: ${shim.real}`)
    else this.warn('no real buildx found (kept, cliPluginsExtraDirs or the system plugin directories): the shim fails until one is installed')
    return {...result, buildx: shim}
  }
}
