import {BaseCommand} from '../cli/base-command.js'
import {builtinRules} from '../../plugins/index.js'
import {buildCli} from '../pipeline/cli.js'
import {PLUGINS_NOTE} from './rewrite.js'

export default class Build extends BaseCommand {
  static override summary = 'Build with docker buildx: stage a permission-normalized context, rewrite risky Dockerfile lines, add the cache list.'
  static override description = `A drop-in for \`docker buildx build\`: every buildx flag is accepted and passed through in order, no \`--\` needed. The bare form \`dbuild [buildx flags] CONTEXT\` runs this command too.

dbuild stages a copy of the context with canonical modes (files 644 or 755, directories 755) so COPY/ADD checksums match on every machine (a context that is already canonical is used directly), rewrites risky Dockerfile lines into a copy beside the stage, adds the project's --cache-from list from .dbuild.json (and its cacheTo list in CI or with --export-cache), and hands everything else to buildx unchanged. buildx's exit code and signals pass through; nothing of dbuild's own is printed with -q, --progress=quiet or --progress=rawjson.

dbuild's own flags:
  --dry-run         stage and rewrite, print the docker command as one shell-quoted line, build nothing
  --no-stage        build from the context as it is
  --no-rewrite      use the Dockerfile as it is
  --config FILE     use FILE instead of the .dbuild.json found from the context up to the git root
  --export-cache    add .dbuild.json cacheTo outside CI too
  --[no-]plugins    run (or not) the rule plugins .dbuild.json lists; default: not run, or DBUILD_PLUGINS=1

${PLUGINS_NOTE}`
  static override examples = [
    '<%= config.bin %> build -t app:dev .',
    '<%= config.bin %> --push -t registry.example.com/app:latest --cache-to type=inline .',
    '<%= config.bin %> build --dry-run -f docker/Dockerfile .',
  ]
  static override strict = false

  async run(): Promise<void> {
    // src/main.ts normally runs buildCli itself, without oclif; this path serves oclif's own callers
    const code = await buildCli(this.argv, {rules: builtinRules})
    if (code !== 0) this.exit(code)
  }
}
