import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {dockerConfigDir, type InstallResult, installPlugin, pluginTarget} from '../../docker-plugin/index.js'

export default class DockerInstall extends BaseCommand {
  static override summary = 'Make `docker dbuild …` work: install dbuild as a Docker CLI plugin (with --alias, plain `docker build` too).'
  static override description = `Writes the docker-dbuild executable into $DOCKER_CONFIG/cli-plugins (default ~/.docker/cli-plugins), so \`docker dbuild build …\` and \`docker dbuild bake …\` run dbuild, with docker's global flags (--host, --context, --config, --tls…) honoured.

--alias also sets "aliases": {"builder": "dbuild"} in config.json: plain \`docker build\` and \`docker image build\` then run through dbuild, and \`docker builder …\` subcommands dbuild does not handle (prune, du, ls, …) go to buildx unchanged. Only that key is added; \`dbuild docker uninstall\` gives config.json back byte for byte.`
  static override examples = ['<%= config.bin %> docker install', '<%= config.bin %> docker install --alias', 'DOCKER_CONFIG=/tmp/docker <%= config.bin %> docker install --json']
  static override enableJsonFlag = true
  static override flags = {
    alias: Flags.boolean({description: 'route plain `docker build` through dbuild (config.json aliases.builder)'}),
  }

  async run(): Promise<InstallResult> {
    const {flags} = await this.parse(DockerInstall)
    const result = installPlugin(dockerConfigDir(), pluginTarget(this.config.root, this.config.version), {alias: flags.alias})
    this.log(`plugin ${result.written ? 'installed' : 'already installed'}: ${result.plugin} (docker dbuild …)`)
    if (result.alias !== 'not asked') this.log(`alias ${result.alias}: docker build runs through dbuild (${result.config})`)
    return result
  }
}
