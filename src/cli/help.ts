/**
 * oclif's help with what it cannot know: the bare form `dbuild [buildx flags] CONTEXT`, and the
 * build command's own help (usage with arguments and buildx's flags, src/cli/build-help.ts).
 */
import {type Command, Help as OclifHelp} from '@oclif/core'

import {buildHelp} from './build-help.js'
import {BUILD_USAGE} from './command-table.js'

export default class Help extends OclifHelp {
  override formatRoot(): string {
    const root = super.formatRoot()
    const usage = [`$ ${this.config.bin} COMMAND`, ...BUILD_USAGE.slice(1).map((line) => `$ ${line}   (the same as dbuild build …)`)]
    return root.replace(/(USAGE\n)(.*\n?)/, (_whole, header: string, line: string) => {
      const indent = /^\s*/.exec(line)?.[0] ?? '  '
      return `${header}${usage.map((text) => `${indent}${text}`).join('\n')}\n\n${indent}dbuild help COMMAND, dbuild COMMAND --help: a command's own help${line.endsWith('\n') ? '\n' : ''}`
    })
  }

  override async showCommandHelp(command: Command.Loadable): Promise<void> {
    if (command.id === 'build') {
      process.stdout.write(await buildHelp())
      return
    }
    return super.showCommandHelp(command)
  }
}
