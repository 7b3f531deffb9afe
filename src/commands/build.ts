import {BaseCommand} from '../cli/base-command.js'

export default class Build extends BaseCommand {
  static override summary = 'Build with docker buildx: stage a permission-normalized context, rewrite risky Dockerfile lines, add the cache list.'
  static override description = `A drop-in for \`docker buildx build\`: every buildx flag is accepted and passed through in order, no \`--\` needed. The bare form \`dbuild [buildx flags] CONTEXT\` runs this command too.

dbuild stages a copy of the context with canonical modes (files 644 or 755, directories 755) so COPY/ADD checksums match on every machine, rewrites risky Dockerfile lines into a copy inside the stage, adds the project's --cache-from list from .dbuild.json, and hands everything else to buildx unchanged. buildx's exit code and signals pass through.`
  static override examples = ['<%= config.bin %> build -t app:dev .', '<%= config.bin %> --push -t registry.example.com/app:latest --cache-to type=inline .', '<%= config.bin %> build --dry-run -f docker/Dockerfile .']
  static override strict = false

  async run(): Promise<void> {
    this.notImplemented(5)
  }
}
