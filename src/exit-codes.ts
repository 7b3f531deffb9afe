/**
 * The one table of dbuild's own exit codes, and the error that carries one (DbuildError) with the
 * one way it is printed: an error's exit code is what makes it dbuild's, so both live here.
 *
 * buildx's exit status and signals pass through `dbuild build` unchanged, so dbuild's own
 * failures use the sysexits range (64+) where they cannot be mistaken for a failed build (1).
 */
import {printable} from './printable.js'

export const ExitCode = {
  /** Success. */
  OK: 0,
  /** Lint found an error-severity finding, doctor had a failing check, or explain found a difference. */
  FINDINGS: 1,
  /** Bad flags or arguments (oclif's own parser uses 2 as well). */
  USAGE: 2,
  /** Bad input: a Dockerfile, .dockerignore or other file that cannot be used; the message names file and line. */
  INPUT: 65,
  /** A missing context, Dockerfile or path. */
  NO_INPUT: 66,
  /** docker or buildx is missing, too old, or the daemon or builder cannot be reached. */
  UNAVAILABLE: 69,
  /** A bug in dbuild. */
  INTERNAL: 70,
  /** The stage or another output could not be written. */
  CANT_CREATE: 73,
  /** A file could not be read. */
  IO: 74,
  /** A registry refused access: no credentials for it, or credentials without the rights needed. */
  NO_PERMISSION: 77,
  /** .dbuild.json is invalid. */
  CONFIG: 78,
  /** 128 + SIGINT, as a shell reports it. */
  SIGINT: 130,
  /** 128 + SIGTERM, as a shell reports it. */
  SIGTERM: 143,
} as const

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

/** An error that carries its exit code and a fix, raised by pure code and formatted by the commands. */
export class DbuildError extends Error {
  constructor(
    message: string,
    readonly exit: ExitCodeValue,
    readonly suggestions: string[] = [],
  ) {
    super(message)
    this.name = 'DbuildError'
  }
}

/**
 * The exit code for a file that could not be read: a missing one is NO_INPUT, any other failure
 * (EACCES, EIO, EISDIR) is IO, so "missing" is never said of a file that is there.
 */
export function readFailureExit(error: unknown): ExitCodeValue {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  return code === 'ENOENT' || code === 'ENOTDIR' ? ExitCode.NO_INPUT : ExitCode.IO
}

/**
 * The one way dbuild prints an error, whichever path raised it (the oclif-free build, an oclif
 * command, a flag parser): `Error: …` on one line, then one `Try this: …` line per fix.
 */
export function formatError(error: {message: string; suggestions?: readonly string[]}): string {
  // a message often quotes a file name or a config key: its control characters are shown, not obeyed
  return [`Error: ${printable(error.message)}`, ...(error.suggestions ?? []).map((fix) => `Try this: ${printable(fix)}`)].join('\n')
}

/**
 * Prints an error the way every oclif-free path does (src/main.ts, src/cli/direct.ts) and returns
 * its exit code: a DbuildError through formatError, anything else as a dbuild bug with its stack.
 */
export function reportError(error: unknown): ExitCodeValue {
  if (error instanceof DbuildError) {
    process.stderr.write(`${formatError(error)}\n`)
    return error.exit
  }
  process.stderr.write(`Error: dbuild bug: ${printable((error as Error).stack ?? String(error))}\n`)
  return ExitCode.INTERNAL
}
