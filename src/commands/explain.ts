import path from 'node:path'

import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {ExitCode} from '../exit-codes.js'
import {againstKind, manifestFromRegistry} from '../explain/against.js'
import {explainContext, modeProblems} from '../explain/current.js'
import {formatModes, formatReport, type ModeProblem} from '../explain/format.js'
import type {ExplainReport} from '../explain/index.js'
import {configNotesFor} from '../pipeline/inputs.js'
import {parseBuildArgs} from '../buildx/build-values.js'

export default class Explain extends BaseCommand {
  static override summary = 'Say why a build misses the cache another build made: compare the context and inputs with its manifest.'
  static override description = `Digests CONTEXT as BuildKit would be sent it (the same walk and .dockerignore as \`dbuild stage\`) and compares it with MANIFEST, written by \`dbuild stage --manifest\` or \`dbuild build --manifest\` (or by \`dbuild build\` in CI). Lists the paths that were added or removed or whose content, mode, type or link target changed, and the Dockerfile instructions that read each one (COPY/ADD sources without --from, RUN --mount=type=bind from the context); names the first instruction that would miss the cache, with its line; and reports the causes that are not context files: another .dockerignore, changed Dockerfile instructions, build args (compared when --build-arg is given), the # syntax line, the platform, CRLF line endings that .gitattributes does not pin, and a .git that an instruction copies. Exits 0 when every step would still hit the cache (differences that no instruction reads are listed and do not fail), 1 when a step would miss.

--against also takes an image reference (tag or digest) or a registry cache ref: the manifest a \`dbuild build\` that pushed attached to it as an OCI artifact is fetched with docker's credentials (config.json, credential helpers), through the referrers API or the referrers tag scheme, and nothing is written.

--modes needs no manifest: it lists the paths whose modes make plain \`docker buildx build\` (or \`dbuild build --no-stage\`) miss a cache made on another machine, with the fix.`
  static override examples = [
    '<%= config.bin %> explain --against ci-manifest.jsonl',
    '<%= config.bin %> explain --against registry.example.com/team/app:main',
    '<%= config.bin %> explain --against ci-manifest.jsonl app -f app/Dockerfile --build-arg VERSION=1.2 --json',
    '<%= config.bin %> explain --modes',
  ]
  static override enableJsonFlag = true
  static override args = {
    context: Args.string({description: 'Build context directory.', default: '.'}),
  }
  static override flags = {
    against: Flags.string({
      description: 'The build whose cache should have been hit: its manifest file, or the image (tag or digest) or registry cache ref it pushed.',
      exactlyOne: ['against', 'modes'],
    }),
    modes: Flags.boolean({description: 'List the paths whose modes make plain buildx miss the cache, with the fix.', exactlyOne: ['against', 'modes']}),
    file: Flags.string({char: 'f', description: 'Dockerfile (default CONTEXT/Dockerfile).'}),
    'build-arg': Flags.string({description: 'A build arg as the build is given it, NAME=VALUE (repeatable); compared with the manifest\'s.', multiple: true}),
    platform: Flags.string({description: 'The build\'s platform (default: the manifest\'s).'}),
    target: Flags.string({description: 'The build\'s target stage (default: the manifest\'s, else the last stage).'}),
  }

  async run(): Promise<ExplainReport | {context: string; problems: ModeProblem[]}> {
    const {args, flags} = await this.parse(Explain)
    const dockerfile = flags.file === undefined ? undefined : path.resolve(flags.file)
    // the config a build of this context would use, as build, lint and rewrite say it
    for (const line of await configNotesFor(path.resolve(args.context), process.cwd(), process.env)) process.stderr.write(`${line}\n`)
    if (flags.modes) {
      const result = modeProblems(args.context, dockerfile)
      this.log(formatModes(result.problems, args.context))
      if (result.problems.length > 0) process.exitCode = ExitCode.FINDINGS
      return result
    }
    const against = flags.against as string
    const remote = againstKind(against) === 'reference' ? await manifestFromRegistry(against, process.env) : undefined
    const {report, dockerfile: shown} = await explainContext({
      manifest: remote?.shown ?? against,
      ...(remote ? {loaded: remote.manifest} : {}),
      context: args.context,
      ...(dockerfile ? {dockerfile} : {}),
      ...(flags['build-arg'] ? {buildArgs: parseBuildArgs(flags['build-arg'])} : {}),
      ...(flags.platform ? {platform: flags.platform} : {}),
      ...(flags.target ? {target: flags.target} : {}),
    })
    this.log(formatReport(report, remote?.shown ?? against, shown))
    // set rather than this.exit(), so that --json still prints the report; differences no step reads do not fail
    if (report.miss) process.exitCode = ExitCode.FINDINGS
    return report
  }
}
