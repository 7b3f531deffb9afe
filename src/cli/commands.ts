/** The mistakes made at the command word, named with the commands there are. */
import {DbuildError, ExitCode} from '../exit-codes.js'
import {nearest} from '../nearest.js'

/** `dbuild frobnicate`: neither a command nor a path to build; `dbuild hook frob`: none of the topic's subcommands. */
export function notACommandError(word: string, commands: readonly string[]): DbuildError {
  const guess = nearest(word, commands)
  const topic = word.includes(' ')
  return new DbuildError(
    `"${word}" is not a dbuild command${topic ? '' : ', and there is no file or directory of that name to build'}`,
    ExitCode.USAGE,
    [
      ...(guess ? [`did you mean dbuild ${guess}?`] : []),
      `the commands are ${commands.join(', ')}; dbuild help COMMAND tells more`,
      ...(topic ? [] : ['to build a directory: dbuild [buildx flags] PATH | URL | -']),
    ],
  )
}
