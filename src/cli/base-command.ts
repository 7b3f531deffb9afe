import {Command} from '@oclif/core'

import {DbuildError, formatError} from '../exit-codes.js'

/** oclif's own errors (an unknown flag, a missing argument) carry their exit code here. */
interface OclifError extends Error {
  oclif?: {exit?: number | false}
  suggestions?: string[]
  /** `EEXIT` for oclif's ExitError, which this.exit() throws: an exit, not an error to print. */
  code?: string
}

/**
 * Shared behaviour of every dbuild command: an error is printed the one way every dbuild path
 * prints it (formatError: `Error: …` then `Try this: …`), not in oclif's wrapped ` ›   Error:` box.
 */
export abstract class BaseCommand extends Command {
  protected override async catch(error: OclifError): Promise<unknown> {
    // a parser error (unknown flag, missing value) under --json: oclif would print the parser's whole state
    // (about 100 kB) and exit 1, the findings code; it is a usage error, one JSON line and its own exit code
    if (this.jsonEnabled() && !(error instanceof DbuildError) && error.code !== 'EEXIT' && typeof error.oclif?.exit === 'number') {
      const message = error.message.replace(/\n*See more help with --help$/, '')
      const suggestions = [...(error.suggestions ?? []), `dbuild ${this.id ?? ''} --help`.replace('  ', ' ')]
      process.stdout.write(`${JSON.stringify({error: {name: 'UsageError', message, exit: error.oclif.exit, suggestions}})}\n`)
      process.exitCode = error.oclif.exit
      return undefined
    }
    // an exit requested with this.exit(), and --json output, are oclif's to finish
    if (error.oclif?.exit === false || error.code === 'EEXIT' || this.jsonEnabled()) {
      if (error instanceof DbuildError) return super.catch(Object.assign(error, {exitCode: error.exit, oclif: {exit: error.exit}}))
      return super.catch(error)
    }
    if (error instanceof DbuildError) {
      process.stderr.write(`${formatError(error)}\n`)
      process.exitCode = error.exit
      return undefined
    }
    if (typeof error.oclif?.exit === 'number') {
      // oclif's parser errors end with its own pointer at --help
      process.stderr.write(
        `${formatError({message: error.message.replace(/\n*See more help with --help$/, ''), suggestions: [...(error.suggestions ?? []), `dbuild ${this.id ?? ''} --help`.replace('  ', ' ')]})}\n`,
      )
      process.exitCode = error.oclif.exit
      return undefined
    }
    return super.catch(error)
  }
}
