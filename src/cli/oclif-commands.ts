/**
 * oclif's commands, made from the command table: package.json's `oclif.commands` points oclif's
 * explicit strategy at COMMAND_CLASSES, and bin/build.js writes oclif's manifest from them. Each
 * class parses with oclif, calls its body from src/actions/ and lets oclif print the --json result.
 */
import {Args, type Command, Flags} from '@oclif/core'

import {commandIo} from '../actions/command-io.js'
import {BaseCommand} from './base-command.js'
import {buildFlagWords, completionCommands} from './cli-facts.js'
import {type ArgEntry, type CommandEntry, COMMANDS, type FlagEntry} from './command-table.js'

/** The entry's keys that are set, so that oclif sees exactly what a hand-written declaration would give it. */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T
}

function oclifFlag(flag: FlagEntry) {
  const {type, options, dependsOn, exclusive, exactlyOne, ...rest} = flag
  const declared = defined({
    ...rest,
    ...(options ? {options: [...options]} : {}),
    ...(dependsOn ? {dependsOn: [...dependsOn]} : {}),
    ...(exclusive ? {exclusive: [...exclusive]} : {}),
    ...(exactlyOne ? {exactlyOne: [...exactlyOne]} : {}),
  })
  // the table's chars are single letters, as oclif's type wants them
  return type === 'boolean'
    ? Flags.boolean(declared as Parameters<typeof Flags.boolean>[0])
    : Flags.string(declared as Parameters<typeof Flags.string>[0])
}

function oclifArg(arg: ArgEntry) {
  return Args.string(defined({...arg, options: arg.options ? [...arg.options] : undefined}) as Parameters<typeof Args.string>[0])
}

function commandClass(entry: CommandEntry): Command.Class {
  class TableCommand extends BaseCommand {
    async run(): Promise<unknown> {
      const body = await entry.body()
      const facts = {
        installation: () => ({root: this.config.root, version: this.config.version}),
        completion: () => ({commands: completionCommands(), buildFlags: buildFlagWords()}),
        frameworkWarn: (message: string) => {
          this.warn(message)
        },
      }
      if (entry.raw) {
        // buildx's and bake's flags are theirs to read: the argv goes to the body as given
        const code = (await body({args: {}, argv: this.argv, flags: {} as never}, commandIo(false, facts))) as number
        if (code !== 0) this.exit(code)
        return undefined
      }
      const {args, argv, flags} = await this.parse(TableCommand)
      return body({args, argv: argv as string[], flags: flags as never}, commandIo(this.jsonEnabled(), facts))
    }
  }
  Object.assign(
    TableCommand,
    defined({
      summary: entry.summary,
      description: entry.description,
      usage: entry.usage ? [...entry.usage] : undefined,
      examples: entry.examples ? [...entry.examples] : undefined,
      enableJsonFlag: entry.json,
      strict: entry.strict,
      args: entry.args ? Object.fromEntries(Object.entries(entry.args).map(([name, arg]) => [name, oclifArg(arg)])) : undefined,
      flags: entry.flags ? Object.fromEntries(Object.entries(entry.flags).map(([name, flag]) => [name, oclifFlag(flag)])) : undefined,
    }),
  )
  return TableCommand
}

/** Every command of the table as an oclif command class, by oclif id. */
export const COMMAND_CLASSES: Record<string, Command.Class> = Object.fromEntries(
  Object.entries(COMMANDS).map(([id, entry]) => [id, commandClass(entry)]),
)
