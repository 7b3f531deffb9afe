/** What the rewrite and lint commands share: their flags and the input resolver's answer, as runRules takes them. */
import {parseBuildContexts} from '../buildx/build-values.js'
import type {LoadedConfig} from '../config.js'
import {type Inputs, loadInputConfig, resolveInputs} from '../pipeline/inputs.js'
import type {RunRequest} from '../rewrite/run-rules.js'

/** The flags rewrite and lint share (declared once, in the command table's RULE_FLAGS). */
export interface RuleFlags {
  file?: string
  'build-arg'?: string[]
  target?: string
  platform?: string
  network?: string
  'build-context'?: string[]
  config?: string
  probe: boolean
  plugins?: boolean
}

/** The input resolver's answer for CONTEXT and -f, with the flags, as runRules takes them. */
export async function runRequest(
  context: string,
  flags: RuleFlags,
  /** How the config is found; lint over many files passes a memo so each directory is searched once. */
  loadConfig: (inputs: Inputs) => Promise<LoadedConfig> = (inputs) => loadInputConfig(inputs, flags.config),
): Promise<RunRequest> {
  const inputs = resolveInputs({context, ...(flags.file === undefined ? {} : {dockerfile: flags.file}), localOnly: true})
  const loaded = await loadConfig(inputs)
  // localOnly: there is always a context directory and a Dockerfile path
  return {
    contextDir: inputs.contextDir as string,
    file: inputs.dockerfile as string,
    loaded,
    env: inputs.env,
    buildArgs: flags['build-arg'],
    buildContexts: parseBuildContexts(flags['build-context']),
    target: flags.target,
    platform: flags.platform,
    network: flags.network,
    probe: flags.probe,
    ...(flags.plugins === undefined ? {} : {plugins: flags.plugins}),
  }
}
