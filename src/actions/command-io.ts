/** What every command body takes and gives: the parsed argv in oclif's shape, and how it may speak. */
import {writeLine} from '../printable.js'

/** What oclif's `this.parse()` gives a command. */
export interface ParsedArgv<Flags = Record<string, unknown>> {
  args: Record<string, string | undefined>
  /** Every positional argument, in order (for a command that takes its argv as given: the whole argv). */
  argv: string[]
  flags: Flags
}

/** A command as shell completion offers it: its words (`hook install`), its flags (`--json`, `-f`) and argument values. */
export interface CompletionCommand {
  id: string
  flags: string[]
  /** Values an argument takes from a fixed list (`completion bash`). */
  values?: string[]
}

/** What only the CLI knows, for the few bodies that need it. */
export interface CliFacts {
  /** Where this dbuild is installed (its package root) and its version: what the Docker plugin runs. */
  installation(): {root: string; version: string}
  /** Every command of the command table as completion offers it, and the build's flags (buildx's and dbuild's own). */
  completion(): {commands: CompletionCommand[]; buildFlags: string[]}
  /** A warning in oclif's own form (` ›   Warning: …` on stderr), for the commands that always printed theirs that way. */
  frameworkWarn(message: string): void
}

/** How a command speaks, the same on every path: with --json only the result (or the error) is printed. */
export interface CommandIo extends CliFacts {
  json: boolean
  /**
   * A line on stdout; silent under --json. Control characters are shown escaped (printable), unless
   * the text is `painted`: escaped by its formatter already, with dbuild's own colours in it.
   */
  log(line: string, options?: {painted?: boolean}): void
  /** `dbuild: warning: …` on stderr, as the build prints its warnings; silent under --json. */
  warn(message: string): void
}

export function commandIo(json: boolean, facts: CliFacts): CommandIo {
  return {
    json,
    log: (line, options) => {
      if (json) return
      if (options?.painted) process.stdout.write(`${line}\n`)
      else writeLine(process.stdout, line)
    },
    warn: (message) => {
      if (!json) writeLine(process.stderr, `dbuild: warning: ${message}`)
    },
    installation: () => facts.installation(),
    completion: () => facts.completion(),
    frameworkWarn: (message) => facts.frameworkWarn(message),
  }
}

/**
 * A command's body, whichever path runs it; returns what --json prints. A body whose command takes
 * its argv as given (build, bake) returns its exit code.
 */
export type CommandAction<Flags = Record<string, unknown>> = (parsed: ParsedArgv<Flags>, io: CommandIo) => Promise<unknown>
