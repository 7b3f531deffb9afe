/** What every command body takes and gives: the parsed argv in oclif's shape, and how it may speak. */

/** What oclif's `this.parse()` gives a command. */
export interface ParsedArgv<Flags = Record<string, unknown>> {
  args: Record<string, string | undefined>
  /** Every positional argument, in order. */
  argv: string[]
  flags: Flags
}

/** How a command speaks, the same on both paths: with --json only the result (or the error) is printed. */
export interface CommandIo {
  json: boolean
  /** A line on stdout; silent under --json. */
  log(line: string): void
  /** `dbuild: warning: …` on stderr, as the build prints its warnings; silent under --json. */
  warn(message: string): void
}

export function commandIo(json: boolean): CommandIo {
  return {
    json,
    log: (line) => {
      if (!json) process.stdout.write(`${line}\n`)
    },
    warn: (message) => {
      if (!json) process.stderr.write(`dbuild: warning: ${message}\n`)
    },
  }
}

/** A command's body, called by its oclif class and by runDirect alike; returns what --json prints. */
export type CommandAction<Flags = Record<string, unknown>> = (parsed: ParsedArgv<Flags>, io: CommandIo) => Promise<unknown>
