/**
 * A progress spinner for long steps: ora on a terminal that can redraw it (see spinnerAllowed), so
 * pipes, CI logs, zero-width ptys and --json output never see control characters.
 */
import ora from 'ora'

import {type Progress, spinnerAllowed} from './terminal.js'

/** Starts a spinner on stderr; call it through progressFor (terminal.ts), which checks that the terminal can redraw one. */
export function startProgress(text: string, options: {env?: NodeJS.ProcessEnv} = {}): Progress {
  const stream = process.stderr
  // NO_COLOR: ora's colours come from chalk, which honours it; the spinner itself is plain text
  const spinner = ora({text, stream, discardStdin: false}).start()
  let stopped = false
  // a terminal resized to no width mid-spin would make ora's redraw loop forever: stop it first
  const onResize = () => {
    if (!spinnerAllowed(stream, options.env)) end(() => spinner.stop())
  }
  const end = (how: () => void) => {
    if (stopped) return
    stopped = true
    stream.off('resize', onResize)
    how()
  }
  stream.on('resize', onResize)
  return {
    update(next) {
      if (!stopped) spinner.text = next
    },
    succeed(final) {
      end(() => spinner.succeed(final))
    },
    fail(final) {
      end(() => spinner.fail(final))
    },
    stop() {
      end(() => spinner.stop())
    },
  }
}
