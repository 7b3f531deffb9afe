import {Command} from '@oclif/core'

import {DbuildError, ExitCode} from '../exit-codes.js'

/** Shared behaviour of every dbuild command: DbuildError becomes a clean message with its exit code. */
export abstract class BaseCommand extends Command {
  protected override async catch(error: Error & {exitCode?: number}): Promise<unknown> {
    if (error instanceof DbuildError) {
      return this.error(error.message, {exit: error.exit, suggestions: error.suggestions})
    }
    return super.catch(error)
  }

  /** A command that a later issue fills in says so and fails; it never fakes success. */
  protected notImplemented(issue: number): never {
    this.error(`dbuild ${this.id} is not implemented yet (issue #${issue}).`, {exit: ExitCode.NOT_IMPLEMENTED})
  }
}
