/**
 * A progress spinner for long steps: ora on a terminal that can redraw it (see spinnerAllowed), so
 * pipes, CI logs, zero-width ptys and --json output never see control characters.
 */
import {spinnerAllowed} from './terminal.js'

/** A spinner's handle; a silent one where spinnerAllowed says no. */
export interface Progress {
  update(text: string): void
  succeed(text?: string): void
  fail(text?: string): void
  stop(): void
}

const SILENT: Progress = {update() {}, succeed() {}, fail() {}, stop() {}}

/** A spinner on stderr when `enabled` and the terminal can redraw one; ora is loaded only then. */
export async function progressFor(text: string, enabled: boolean, env: NodeJS.ProcessEnv = process.env): Promise<Progress> {
  if (!enabled || !spinnerAllowed(process.stderr, env)) return SILENT
  const {default: ora} = await import('ora')
  return startProgress(ora, text, {env})
}

/** Starts a spinner on stderr; progressFor has checked that the terminal can redraw one. */
function startProgress(ora: typeof import('ora').default, text: string, options: {env?: NodeJS.ProcessEnv} = {}): Progress {
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
