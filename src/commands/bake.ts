import {BaseCommand} from '../cli/base-command.js'
import {bakeCommand} from '../actions/bake.js'

export default class Bake extends BaseCommand {
  static override summary = 'Bake with docker buildx: every target staged, rewritten and given the cache list, as dbuild build does.'
  static override description = `A drop-in for \`docker buildx bake\` (HCL, JSON and compose files alike): every bake flag is accepted and passed through. The definition is resolved by \`docker buildx bake --print\` with the same files, --set, --var and environment. For each target, its local context and local named contexts are staged (each distinct directory once), its Dockerfile is rewritten into a copy beside the stage (with its .dockerignore and .rego), and the .dbuild.json cache lists are added. bake then runs that definition. dockerfile-inline, remote contexts and \`target:\` contexts are passed through untouched, with a note. buildx's exit code and signals pass through.

dbuild's own flags (and bake's --print):
  --print           print the definition bake would run, build nothing
  --dry-run         stage and rewrite, print the docker command as one shell-quoted line, build nothing
  --no-stage        build from the contexts as they are
  --no-rewrite      use the Dockerfiles as they are
  --config FILE     use FILE instead of the .dbuild.json found from each context up to the git root
  --manifest DIR    write each target's context manifest for dbuild explain to DIR/TARGET.jsonl (in CI: beside each stage)
  --export-cache    add .dbuild.json cacheTo outside CI too`
  static override examples = ['<%= config.bin %> bake', '<%= config.bin %> bake -f compose.yaml web', '<%= config.bin %> bake --print --set app.args.VERSION=2']
  static override strict = false

  async run(): Promise<void> {
    const code = await bakeCommand(this.argv)
    if (code !== 0) this.exit(code)
  }
}
