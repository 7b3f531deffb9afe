import {Args} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {type CompletionCommand, completionScript, type Shell, SHELLS} from '../cli/completion.js'

export default class Completion extends BaseCommand {
  static override summary = 'Print a shell completion script for bash, zsh or fish.'
  static override description = `Completes the commands, the hook subcommands, each command's flags, and buildx's flags for build and the bare form. Load it from your shell's start-up file:
  bash: eval "$(dbuild completion bash)" in ~/.bashrc
  zsh:  eval "$(dbuild completion zsh)" in ~/.zshrc
  fish: dbuild completion fish > ~/.config/fish/completions/dbuild.fish`
  static override examples = ['<%= config.bin %> completion bash', 'eval "$(<%= config.bin %> completion zsh)"']
  static override args = {
    shell: Args.string({description: 'the shell', options: [...SHELLS], required: true}),
  }

  async run(): Promise<void> {
    const {args} = await this.parse(Completion)
    const commands: CompletionCommand[] = this.config.commands
      .filter((command) => !command.hidden)
      .map((command) => ({
        id: command.id.replaceAll(':', ' '),
        flags: Object.entries(command.flags).flatMap(([name, flag]) => [`--${name}`, ...(flag.char ? [`-${flag.char}`] : [])]),
        values: Object.values(command.args).flatMap((arg) => arg.options ?? []),
      }))
    process.stdout.write(completionScript(args.shell as Shell, commands))
  }
}
