/**
 * The one check that a local context names a directory, for the input resolver (pipeline/inputs.ts)
 * and for the stage's own callers alike, so both say the same words with the same exit code.
 */
import {statSync} from 'node:fs'

import {DbuildError, ExitCode} from '../exit-codes.js'
import {fromWorkingDirectory} from '../working-dir.js'

/** An absolute local directory, or a NO_INPUT error naming what it was meant to be. */
export function contextDirectory(source: string, cwd: string | undefined, what = 'build context'): string {
  const dir = fromWorkingDirectory(source, what, cwd)
  let isDir = false
  try {
    isDir = statSync(dir).isDirectory()
  } catch {
    throw new DbuildError(`${source}: ${what} not found`, ExitCode.NO_INPUT)
  }
  if (!isDir) throw new DbuildError(`${source}: ${what} is not a directory`, ExitCode.NO_INPUT)
  return dir
}
