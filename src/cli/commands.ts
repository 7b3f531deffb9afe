/** The mistakes made at the command word, named with the commands there are. */
import {DbuildError, ExitCode} from '../exit-codes.js'
import {nearest} from '../nearest.js'

/** `dbuild frobnicate`: neither a command nor a path to build. */
export function notACommandError(word: string, commands: readonly string[]): DbuildError {
  const guess = nearest(word, commands)
  return new DbuildError(`"${word}" is not a dbuild command, and there is no file or directory of that name to build`, ExitCode.USAGE, [
    ...(guess ? [`did you mean dbuild ${guess}?`] : []),
    `the commands are ${commands.join(', ')}; dbuild help COMMAND tells more`,
    'to build a directory: dbuild [buildx flags] PATH | URL | -',
  ])
}
