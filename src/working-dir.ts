/**
 * The working directory, which may have been deleted under a running shell: process.cwd() then
 * throws (ENOENT, uv_cwd). Plain buildx builds an absolute context from there, so dbuild asks for
 * the working directory only where a relative path needs it, and says so clearly when it is gone,
 * never resolving the path from anywhere else.
 */
import path from 'node:path'

import {DbuildError, ExitCode} from './exit-codes.js'

/** process.cwd(), or undefined when the working directory no longer exists. */
export function workingDirectory(): string | undefined {
  try {
    return process.cwd()
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

/** The error for a relative `given` (what it names: `what`) when there is no working directory to read it from. */
export function noWorkingDirectory(given: string, what: string): DbuildError {
  return new DbuildError(`${given}: ${what} is a relative path, and the working directory no longer exists`, ExitCode.NO_INPUT, [
    `cd to an existing directory, or give ${what} as an absolute path.`,
  ])
}

/** `given` as an absolute path: itself when absolute, else from `cwd`; a NO_INPUT error when relative and `cwd` is gone. */
export function fromWorkingDirectory(given: string, what: string, cwd: string | undefined = workingDirectory()): string {
  if (path.isAbsolute(given)) return path.normalize(given)
  if (cwd === undefined) throw noWorkingDirectory(given, what)
  return path.resolve(cwd, given)
}

/** A directory a child process can start in: the working directory, or `/` when it is gone (for children given absolute paths only). */
export function childDirectory(): string {
  return workingDirectory() ?? '/'
}
