/** `dbuild bake`: plans with planBake, prints what --print/--dry-run ask for, else runs bake with the terminal. */
import type {CommandAction} from './command-io.js'
import {builtinRules} from '../../plugins/index.js'
import type {SplitArgv} from '../buildx/argv.js'
import {bakeListsAllow, checkBuildx} from '../buildx/check.js'
import {exitCodeOf, streamDocker} from '../buildx/run.js'
import {ExitCode} from '../exit-codes.js'
import {writeLine} from '../printable.js'
import {type BakePublish, planBake} from '../pipeline/bake.js'
import {noWorkingDirectory, workingDirectory} from '../working-dir.js'
import {cleanUp, publishManifest, publishPlan, pushedImage, readMetadata, withMetadataFile} from '../pipeline/publish.js'
import {rewriteStepFor} from '../pipeline/rules.js'
import {type BuildCliIO, pointAtDoctor, spinnerFor} from './build.js'

/** Attaches each pushing target's manifest to what it pushed (bake's metadata has one object per target); failures are warnings. */
async function publishTargets(
  publishes: BakePublish[],
  metadataFile: string | undefined,
  env: NodeJS.ProcessEnv,
  silent: boolean,
  err: (line: string) => void,
): Promise<void> {
  const metadata = metadataFile ? readMetadata(metadataFile) : undefined
  for (const target of publishes) {
    const own = metadata?.[target.target]
    const image = target.imagePushed && own && typeof own === 'object' ? pushedImage(own as Record<string, unknown>) : undefined
    const outcome = await publishManifest({
      manifestFile: target.manifestFile,
      contextDigest: target.contextDigest,
      ...(image ? {image} : {}),
      cacheRefs: target.cacheRefs,
      env,
    })
    if (target.imagePushed && !image)
      outcome.warnings.push(`the context manifest was not attached to the image: buildx's metadata names no pushed digest`)
    if (silent) continue
    for (const warning of outcome.warnings) err(`dbuild: warning: target ${target.target}: ${warning}`)
    for (const note of outcome.notes) err(`dbuild: target ${target.target}: ${note}`)
  }
}

/** Runs `dbuild bake ARGV`; returns the exit code (buildx's, or 130/143 after a signal). Throws DbuildError. */
export async function bakeCommand(argv: readonly string[], io: BuildCliIO & {cwd?: string} = {}): Promise<number> {
  const env = io.env ?? process.env
  // bake reads its files from the working directory (buildx itself refuses without one)
  const cwd = io.cwd ?? workingDirectory()
  if (cwd === undefined) throw noWorkingDirectory('.', 'the directory bake reads its definition from')
  const out = io.out ?? ((line) => writeLine(process.stdout, line))
  const err = io.err ?? ((line) => writeLine(process.stderr, line))
  // bake --print needs docker anyway; the version says whether bake knows --allow
  const version = await checkBuildx(env)
  // a buildx built without version information: its help says what it knows
  const buildxHelp = version.parts ? undefined : {annotation: version.annotation === true, bakeAllow: await bakeListsAllow(env)}
  const spinner = await spinnerFor(true)
  let plan
  try {
    const rewrite = rewriteStepFor(io.rules ?? builtinRules)
    plan = await planBake({
      argv,
      cwd,
      env,
      ...(version.parts ? {buildxVersion: version.parts} : {}),
      ...(buildxHelp ? {buildxHelp} : {}),
      rewrite,
      onStep: (text) => spinner.update(`dbuild: ${text}`),
    })
  } catch (error) {
    spinner.fail()
    throw error
  }
  spinner.stop()
  // what build says after a failure: a "did you mean" for a mistyped flag, doctor when the daemon or builder is unreachable
  const builder = (uses: SplitArgv['uses']) => uses.findLast((use) => use.flag?.long === 'builder')?.value
  if (plan.kind === 'failed') {
    process.stderr.write(plan.stderr)
    // --progress=quiet or rawjson: buildx's own output only, as for a build
    if (plan.silent) return plan.exitCode
    for (const hint of plan.hints) err(`dbuild: ${hint}`)
    if (plan.hints.length === 0) await pointAtDoctor(env, builder(plan.split.uses), err)
    return plan.exitCode
  }
  if (!plan.silent) {
    for (const warning of plan.warnings) err(`dbuild: warning: ${warning}`)
    for (const note of plan.notes) err(`dbuild: ${note}`)
  }
  if (plan.kind === 'plan' && plan.print) {
    err(`dbuild: --print: the definition bake would run (${plan.definitionFile}), nothing built:`)
    out(JSON.stringify(plan.definition, null, 2))
    return ExitCode.OK
  }
  if (plan.split.own.dryRun) {
    err('dbuild: dry run, nothing built:')
    out(plan.command)
    return ExitCode.OK
  }
  const publishes = plan.kind === 'plan' ? plan.publishes : []
  const metadata = publishes.length > 0 ? publishPlan(plan.split.uses, [], cwd, true) : undefined
  let result
  try {
    result = await streamDocker(withMetadataFile(plan.args, metadata), {env, cwd})
    if (!result.interrupted && result.exitCode !== 0 && !plan.silent) await pointAtDoctor(env, builder(plan.split.uses), err)
    if (metadata && !result.interrupted && result.exitCode === 0)
      await publishTargets(publishes, metadata.metadataFile, env, plan.silent, err)
  } finally {
    cleanUp(metadata)
  }
  return exitCodeOf(result)
}

/** The command table's body for `dbuild bake`: bake's flags are passed through, so it takes the argv as given. */
const bake: CommandAction = ({argv}) => bakeCommand(argv)

export default bake
