/**
 * `dbuild build`: src/main.ts runs it without oclif (oclif's start-up alone would cost more than
 * the 15% a cached build may add), and oclif's command made from the table runs it too: one body.
 */
import type {CommandAction} from './command-io.js'
import {builtinRules} from '../../plugins/index.js'
import {resolveBuildArgv} from '../buildx/argv.js'
import {checkBuildx} from '../buildx/check.js'
import {exitCodeOf, type StreamedRun} from '../buildx/run.js'
import {ExitCode} from '../exit-codes.js'
import {isSilent} from '../pipeline/assemble.js'
import {canAnnotate, withDigestAnnotation} from '../pipeline/manifest.js'
import {type BuildPlan, planBuild, runBuild} from '../pipeline/plan.js'
import {workingDirectory} from '../working-dir.js'
import {writeLine} from '../printable.js'
import {cleanUp, publishManifest, type PublishPlan, publishPlan, pushedImage, readMetadata, withMetadataFile} from '../pipeline/publish.js'
import {rewriteStepFor} from '../pipeline/rules.js'
import {type Progress, progressFor} from '../progress.js'
import type {Rule} from '../rewrite/index.js'

export interface BuildCliIO {
  env?: NodeJS.ProcessEnv
  /** The rules to run; plugins/index.ts's list unless a caller passes another. */
  rules?: Rule[]
  /** The command line for --dry-run. */
  out?: (line: string) => void
  /** Notes and warnings (stderr). */
  err?: (line: string) => void
}

/** The spinner a build shows while it prepares (ora only where it can redraw: see progressFor). */
export function spinnerFor(enabled: boolean): Promise<Progress> {
  return progressFor('dbuild: preparing the build', enabled)
}

/** Runs `dbuild build ARGV`; returns the exit code (buildx's, or 130/143 after a signal). Throws DbuildError. */
export async function buildCommand(argv: readonly string[], io: BuildCliIO = {}): Promise<number> {
  const env = io.env ?? process.env
  const out = io.out ?? ((line) => writeLine(process.stdout, line))
  const err = io.err ?? ((line) => writeLine(process.stderr, line))
  const parsed = await resolveBuildArgv(argv, env)
  // docker and buildx are checked while staging runs; a dry run needs neither
  const ready = parsed.own.dryRun ? Promise.resolve() : checkBuildx(env)
  ready.catch(() => {}) // awaited, and reported, by runBuild
  const silent = isSilent(parsed)
  const spinner = await spinnerFor(!silent)
  let plan
  try {
    const rewrite = rewriteStepFor(io.rules ?? builtinRules)
    plan = await planBuild({argv, parsed, env, rewrite, onStep: (text) => spinner.update(`dbuild: ${text}`)})
  } catch (error) {
    spinner.fail()
    throw error
  }
  spinner.stop()
  if (!silent) {
    for (const warning of plan.warnings) err(`dbuild: warning: ${warning}`)
    for (const note of plan.notes) err(`dbuild: ${note}`)
  }
  if (parsed.own.dryRun) {
    err(`dbuild: dry run (${plan.contextPath} context), nothing built:`)
    out(plan.command)
    return ExitCode.OK
  }
  if (plan.contextDigest !== undefined) {
    // the annotation needs buildx 0.12; the check has run alongside the staging by now
    const version = (await ready) ?? undefined
    if (canAnnotate(version)) plan.args = withDigestAnnotation(plan.args, plan.contextDigest)
    else if (version && !silent)
      err(`dbuild: buildx ${version.version} cannot annotate images (0.12 or newer can): the context digest is in the manifest only`)
  }
  const publish = plan.manifestFile && plan.manifestDigest ? publishPlan(parsed.uses, plan.cacheTo, workingDirectory()) : undefined
  plan.args = withMetadataFile(plan.args, publish)
  let result: StreamedRun
  try {
    result = await runBuild(plan, {env, ready})
    if (!result.interrupted && result.exitCode !== 0 && !silent) await pointAtDoctor(env, parsed.builder, err)
    if (publish && !result.interrupted && result.exitCode === 0) await publishAfterBuild(publish, plan, env, silent, err)
  } finally {
    cleanUp(publish)
  }
  return exitCodeOf(result)
}

/** Attaches the manifest to what the build pushed; a failure is a warning, the build's exit code stays buildx's. */
async function publishAfterBuild(
  publish: PublishPlan,
  plan: BuildPlan,
  env: NodeJS.ProcessEnv,
  silent: boolean,
  err: (line: string) => void,
): Promise<void> {
  const metadata = publish.imagePushed && publish.metadataFile ? readMetadata(publish.metadataFile) : undefined
  const image = metadata ? pushedImage(metadata) : undefined
  const outcome = await publishManifest({
    manifestFile: plan.manifestFile as string,
    contextDigest: plan.manifestDigest as string,
    ...(image ? {image} : {}),
    cacheRefs: publish.cacheRefs,
    env,
  })
  if (publish.imagePushed && !image)
    outcome.warnings.push(
      `the context manifest was not attached to the image: buildx's metadata (${publish.metadataFile}) names no pushed digest`,
    )
  if (silent) return
  for (const warning of outcome.warnings) err(`dbuild: warning: ${warning}`)
  for (const note of outcome.notes) err(`dbuild: ${note}`)
}

/** After a failed build: when the daemon or builder cannot be reached, one line pointing at doctor (buildx has said the rest). */
export async function pointAtDoctor(env: NodeJS.ProcessEnv, builder: string | undefined, err: (line: string) => void): Promise<void> {
  const {unreachableBuilder} = await import('../buildx/inspect.js')
  if (await unreachableBuilder(env, builder))
    err('dbuild: the docker daemon or builder cannot be reached; run dbuild doctor to see why and how to fix it')
}

/** The command table's body for `dbuild build`: buildx's flags are read as buildx reads them, so it takes the argv as given. */
const build: CommandAction = ({argv}) => buildCommand(argv)

export default build
