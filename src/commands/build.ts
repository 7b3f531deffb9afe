import {BaseCommand} from '../cli/base-command.js'
import {BUILD_DESCRIPTION, BUILD_EXAMPLES, BUILD_SUMMARY, BUILD_USAGE, OWN_BUILD_FLAGS} from '../cli/build-help.js'
import {buildCommand} from '../actions/build.js'

export default class Build extends BaseCommand {
  static override summary = BUILD_SUMMARY
  static override usage = BUILD_USAGE.map((line) => line.replace(/^dbuild /, ''))
  static override description = `A drop-in for \`docker buildx build\`: every buildx flag is accepted and passed through in order, no \`--\` needed. The bare form \`dbuild [buildx flags] CONTEXT\` runs this command too.

${BUILD_DESCRIPTION}

dbuild's own flags:
${OWN_BUILD_FLAGS.map(([spelling, text]) => `  ${spelling.padEnd(16)}  ${text}`).join('\n')}`
  static override examples = BUILD_EXAMPLES.map((example) => example.replace(/^dbuild /, '<%= config.bin %> '))
  static override strict = false

  async run(): Promise<void> {
    // src/main.ts normally runs buildCommand itself, without oclif; this path serves oclif's own callers
    const code = await buildCommand(this.argv)
    if (code !== 0) this.exit(code)
  }
}
