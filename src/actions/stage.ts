/** `dbuild stage`: its body, whichever path runs it (the command table, src/cli/command-table.ts). */
import type {CommandAction} from './command-io.js'
import {parseBuildArgs} from '../buildx/build-values.js'
import {progressFor} from '../progress.js'
import {resolveInputs} from '../pipeline/inputs.js'
import {stageContext, type StageResult} from '../stage/index.js'

export interface StageFlags {
  file?: string
  out?: string
  manifest?: string
  'build-arg'?: string[]
  platform?: string
  target?: string
}

/** What `dbuild stage --json` prints. */
export type StageReport = Omit<StageResult, 'root' | 'digest'> & {digest: string}

/** `Staging app: 1200 of 3000 paths written (40%, 2400/s)`: progress against the total, and the rate. */
export function stageProgressText(context: string, written: number, total: number, elapsedMs: number): string {
  const percent = total > 0 ? Math.floor((written / total) * 100) : 100
  const rate = elapsedMs > 0 ? Math.round((written / elapsedMs) * 1000) : 0
  return `Staging ${context}: ${written} of ${total} paths written (${percent}%${rate > 0 ? `, ${rate}/s` : ''})`
}

const stage: CommandAction<StageFlags> = async ({args, flags}, io): Promise<StageReport> => {
  const context = args.context ?? '.'
  const inputs = resolveInputs({
    context,
    ...(flags.file === undefined ? {} : {dockerfile: flags.file}),
    localOnly: true,
    needsDockerfile: false,
  })
  const progress = await progressFor(`Staging ${context}`, !io.json)
  const started = Date.now()
  let result: StageResult
  try {
    result = await stageContext({
      context: inputs.contextDir as string,
      // only a Dockerfile given with -f picks its own ignore file
      dockerfile: flags.file === undefined ? undefined : inputs.dockerfile,
      env: inputs.env,
      out: flags.out,
      digest: true,
      onWarning: (message) => {
        progress.stop()
        io.warn(message)
      },
      onProgress: (written, total) => progress.update(stageProgressText(context, written, total, Date.now() - started)),
    })
  } catch (error) {
    progress.fail()
    throw error
  }
  progress.stop()
  const digest = result.digest as NonNullable<StageResult['digest']>
  if (flags.manifest) {
    // loaded only for --manifest
    const [{manifestFor}, {writeManifest}] = await Promise.all([import('../explain/current.js'), import('../explain/manifest.js')])
    const manifest = manifestFor(digest, {
      context: inputs.contextDir as string,
      ...(inputs.dockerfile ? {dockerfile: inputs.dockerfile} : {}),
      ...(result.ignoreFile ? {ignoreFile: result.ignoreFile} : {}),
      ...(flags['build-arg'] ? {buildArgs: parseBuildArgs(flags['build-arg'], inputs.env)} : {}),
      ...(flags.platform ? {platform: flags.platform} : {}),
      ...(flags.target ? {target: flags.target} : {}),
    })
    writeManifest(flags.manifest, manifest)
  }
  io.log(result.dir)
  const {dir, files, bytes, changed, removed, skipped} = result
  return {dir, files, bytes, changed, removed, skipped, digest: digest.digest}
}

export default stage
