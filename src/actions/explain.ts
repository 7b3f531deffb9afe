/** `dbuild explain`: why a build misses the cache another build made, or (--modes) which paths' modes make plain buildx miss. */
import path from 'node:path'

import type {CommandAction} from './command-io.js'
import {parseBuildArgs} from '../buildx/build-values.js'
import {ExitCode} from '../exit-codes.js'
import {writeLine} from '../printable.js'
import {againstKind, manifestFromRegistry} from '../explain/against.js'
import {explainContext, modeProblems} from '../explain/current.js'
import {formatModes, formatReport, type ModeProblem} from '../explain/format.js'
import type {ExplainReport} from '../explain/index.js'
import {configNotesFor} from '../pipeline/inputs.js'

export interface ExplainFlags {
  against?: string
  modes?: boolean
  file?: string
  'build-arg'?: string[]
  platform?: string
  target?: string
}

const explain: CommandAction<ExplainFlags> = async (
  {args, flags},
  io,
): Promise<ExplainReport | {context: string; problems: ModeProblem[]}> => {
  const context = args.context ?? '.'
  const dockerfile = flags.file === undefined ? undefined : path.resolve(flags.file)
  // the config a build of this context would use, as build, lint and rewrite say it
  for (const line of await configNotesFor(path.resolve(context), process.cwd(), process.env)) writeLine(process.stderr, line)
  if (flags.modes) {
    const result = modeProblems(context, dockerfile)
    io.log(formatModes(result.problems, context))
    if (result.problems.length > 0) process.exitCode = ExitCode.FINDINGS
    return result
  }
  const against = flags.against as string
  const remote = againstKind(against) === 'reference' ? await manifestFromRegistry(against, process.env) : undefined
  const {report, dockerfile: shown} = await explainContext({
    manifest: remote?.shown ?? against,
    ...(remote ? {loaded: remote.manifest} : {}),
    context,
    ...(dockerfile ? {dockerfile} : {}),
    ...(flags['build-arg'] ? {buildArgs: parseBuildArgs(flags['build-arg'])} : {}),
    ...(flags.platform ? {platform: flags.platform} : {}),
    ...(flags.target ? {target: flags.target} : {}),
  })
  io.log(formatReport(report, remote?.shown ?? against, shown))
  // set rather than thrown, so that --json still prints the report; differences no step reads do not fail
  if (report.miss) process.exitCode = ExitCode.FINDINGS
  return report
}

export default explain
