import {writeFileSync} from 'node:fs'
import path from 'node:path'

import {Args, Flags} from '@oclif/core'

import {builtinRules} from '../../plugins/index.js'
import {BaseCommand} from '../cli/base-command.js'
import {colorEnabled} from '../cli/terminal.js'
import {DbuildError, ExitCode} from '../exit-codes.js'
import {type LoadedConfig, PLUGINS_NOTE} from '../config.js'
import {type Inputs, loadInputConfig, resolveInputs} from '../pipeline/inputs.js'
import {type RunRequest, runRules} from '../rewrite/cli.js'
import {formatText, unifiedDiff} from '../rewrite/format.js'
import type {Finding} from '../rewrite/index.js'

export interface RewriteReport {
  file: string
  changed: boolean
  written: boolean
  text: string
  findings: Finding[]
  dropped: Finding[]
}

/** Flags rewrite and lint share: where the Dockerfile is and how buildx would build it. */
export const ruleFlags = {
  file: Flags.string({char: 'f', description: 'Dockerfile (default: CONTEXT/Dockerfile)'}),
  'build-arg': Flags.string({description: 'build argument NAME=VALUE, as for buildx', multiple: true}),
  target: Flags.string({description: 'target stage, as for buildx'}),
  platform: Flags.string({description: 'target platform, as for buildx'}),
  network: Flags.string({description: 'buildx --network for the probe builds'}),
  plugins: Flags.boolean({
    description: "run the rule plugins that .dbuild.json lists: they are the repository's own JavaScript and run as code with your rights (default: not run, or DBUILD_PLUGINS=1)",
    allowNo: true,
  }),
}


/** The input resolver's answer for CONTEXT and -f, with the flags, as runRules takes them. */
export async function runRequest(
  context: string,
  flags: {file?: string; 'build-arg'?: string[]; target?: string; platform?: string; network?: string; probe: boolean; plugins?: boolean},
  /** How the config is found; lint over many files passes a memo so each directory is searched once. */
  loadConfig: (inputs: Inputs) => Promise<LoadedConfig> = (inputs) => loadInputConfig(inputs),
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
    target: flags.target,
    platform: flags.platform,
    network: flags.network,
    probe: flags.probe,
    ...(flags.plugins === undefined ? {} : {plugins: flags.plugins}),
  }
}

export default class Rewrite extends BaseCommand {
  static override summary = 'Print the Dockerfile with risky lines rewritten; findings go to stderr.'
  static override description = `Runs the rules from plugins/ (link-chown, exclude-root, image-mirror, …) and splices their edits into the original bytes: where no rule fires the output is byte-identical. Rules that need facts from the image (users at a line, a stage's tree) get them from small BuildKit probe builds, cached on disk. The file itself changes only with --write, and only the bytes of the lines a rule fixed: every other byte (Latin-1 text, CRLF, a byte order mark) stays as it was.

${PLUGINS_NOTE}`
  static override examples = ['<%= config.bin %> rewrite', '<%= config.bin %> rewrite -f docker/Dockerfile --diff', '<%= config.bin %> rewrite --build-arg OWNER=app --write']
  static override enableJsonFlag = true
  static override args = {context: Args.string({description: 'build context directory', default: '.'})}
  static override flags = {
    ...ruleFlags,
    probe: Flags.boolean({description: 'run BuildKit probe builds for facts rules need', default: true, allowNo: true}),
    diff: Flags.boolean({description: 'print a unified diff instead of the rewritten file', exclusive: ['write']}),
    write: Flags.boolean({description: 'rewrite the Dockerfile in place'}),
  }

  async run(): Promise<RewriteReport> {
    const {args, flags} = await this.parse(Rewrite)
    const {file, original, result} = await runRules(builtinRules, await runRequest(args.context, flags))
    const fixed = new Set(result.findings.filter((finding) => finding.fix && !result.dropped.includes(finding)))
    if (result.findings.length > 0 && !this.jsonEnabled()) process.stderr.write(formatText(result.findings, file, fixed, colorEnabled(process.stderr)) + '\n')
    for (const finding of result.dropped) this.warn(`${file}:${finding.line}: the fix of [${finding.ruleId}] overlaps another fix and was not applied`)
    let written = false
    if (flags.write && result.changed) {
      try {
        writeFileSync(file, result.bytes)
      } catch (error) {
        throw new DbuildError(`${file}: cannot write: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, ExitCode.CANT_CREATE)
      }
      written = true
    }
    if (!this.jsonEnabled()) {
      if (flags.diff) process.stdout.write(unifiedDiff(original, result.text, path.relative(process.cwd(), file) || file))
      else if (!flags.write) process.stdout.write(result.bytes)
    }
    return {file, changed: result.changed, written, text: result.text, findings: result.findings, dropped: result.dropped}
  }
}
