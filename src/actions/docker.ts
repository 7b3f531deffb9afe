/** `dbuild docker install`, `docker status` and `docker uninstall`: the Docker CLI plugin and the docker-buildx shim. */
import type {CommandAction} from './command-io.js'
import {
  buildxShimStatus,
  formatShimStatus,
  installBuildxShim,
  type ShimInstallResult,
  type ShimStatus,
  type ShimUninstallResult,
  uninstallBuildxShim,
} from '../docker-plugin/buildx-shim.js'
import {
  dockerConfigDir,
  formatStatus,
  type InstallResult,
  installPlugin,
  type PluginStatus,
  pluginStatus,
  pluginTarget,
  uninstallPlugin,
  type UninstallResult,
} from '../docker-plugin/index.js'

export const install: CommandAction<{alias?: boolean; buildx?: boolean}> = async (
  {flags},
  io,
): Promise<InstallResult & {buildx?: ShimInstallResult}> => {
  const {root, version} = io.installation()
  const result = installPlugin(dockerConfigDir(), pluginTarget(root, version), {alias: flags.alias === true})
  io.log(`plugin ${result.written ? 'installed' : 'already installed'}: ${result.plugin} (docker dbuild …)`)
  if (result.alias !== 'not asked') io.log(`alias ${result.alias}: docker build runs through dbuild (${result.config})`)
  if (!flags.buildx) return result
  const shim = installBuildxShim(dockerConfigDir(), pluginTarget(root, version))
  io.log(
    `buildx shim ${shim.state === 'written' ? 'installed' : 'already installed'}: ${shim.shim}${shim.kept ? ` (the docker-buildx that was there is kept as ${shim.kept})` : ''}`,
  )
  if (shim.real) io.log(`real buildx: ${shim.real}`)
  else
    io.frameworkWarn(
      'no real buildx found (kept, cliPluginsExtraDirs or the system plugin directories): the shim fails until one is installed',
    )
  return {...result, buildx: shim}
}

export const status: CommandAction = async (_parsed, io): Promise<PluginStatus & {buildx: ShimStatus}> => {
  const {root, version} = io.installation()
  const target = pluginTarget(root, version)
  const plugin = pluginStatus(dockerConfigDir(), target)
  const buildx = buildxShimStatus(dockerConfigDir(), target)
  io.log(formatStatus(plugin))
  io.log(formatShimStatus(buildx))
  return {...plugin, buildx}
}

export const uninstall: CommandAction = async (_parsed, io): Promise<UninstallResult & {buildx: ShimUninstallResult}> => {
  const result = uninstallPlugin(dockerConfigDir())
  const buildx = uninstallBuildxShim(dockerConfigDir())
  io.log(`plugin ${result.removed ? 'removed' : 'was not installed'}: ${result.plugin}`)
  if (result.config === 'restored') io.log('config.json restored byte for byte')
  if (result.config === 'edited') io.log('config.json changed since install: only aliases.builder was removed')
  if (buildx.outcome === 'restored') io.log(`buildx shim removed: the docker-buildx from before is back at ${buildx.shim}`)
  if (buildx.outcome === 'removed') io.log(`buildx shim removed: ${buildx.shim}`)
  if (buildx.outcome === 'replaced') io.log(`buildx shim: another docker-buildx had replaced it at ${buildx.shim}; that one stays`)
  return {...result, buildx}
}
