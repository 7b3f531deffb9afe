/**
 * A progress spinner for long steps: ora on an interactive stderr only, so pipes, CI logs and
 * --json output never see control characters.
 */
import ora from 'ora'

export interface Progress {
  update(text: string): void
  succeed(text?: string): void
  fail(text?: string): void
  stop(): void
}

const silent: Progress = {update() {}, succeed() {}, fail() {}, stop() {}}

/** Starts a spinner on stderr when it is a TTY and `enabled` is not false; otherwise does nothing. */
export function startProgress(text: string, options: {enabled?: boolean} = {}): Progress {
  if (options.enabled === false || !process.stderr.isTTY || process.env.TERM === 'dumb') return silent
  // NO_COLOR: ora's colours come from chalk, which honours it; the spinner itself is plain text
  const spinner = ora({text, stream: process.stderr, discardStdin: false}).start()
  return {
    update(next) {
      spinner.text = next
    },
    succeed(final) {
      spinner.succeed(final)
    },
    fail(final) {
      spinner.fail(final)
    },
    stop() {
      spinner.stop()
    },
  }
}
