/**
 * A progress spinner for long steps: ora on a terminal that can redraw it (see spinnerAllowed), so
 * pipes, CI logs, zero-width ptys and --json output never see control characters.
 */
import ora from 'ora'

import {spinnerAllowed} from './terminal.js'

export interface Progress {
  update(text: string): void
  succeed(text?: string): void
  fail(text?: string): void
  stop(): void
}

const silent: Progress = {update() {}, succeed() {}, fail() {}, stop() {}}

/** Starts a spinner on stderr when spinnerAllowed and `enabled` is not false; otherwise does nothing. */
export function startProgress(text: string, options: {enabled?: boolean; env?: NodeJS.ProcessEnv} = {}): Progress {
  const stream = process.stderr
  if (options.enabled === false || !spinnerAllowed(stream, options.env)) return silent
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

/** `Staging app: 1200 of 3000 paths written (40%, 2400/s)`: progress against the total, and the rate. */
export function stageProgressText(context: string, written: number, total: number, elapsedMs: number): string {
  const percent = total > 0 ? Math.floor((written / total) * 100) : 100
  const rate = elapsedMs > 0 ? Math.round((written / elapsedMs) * 1000) : 0
  return `Staging ${context}: ${written} of ${total} paths written (${percent}%${rate > 0 ? `, ${rate}/s` : ''})`
}
