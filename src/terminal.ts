/**
 * What the terminal can take: a spinner only where it can redraw itself, colour only where it is
 * wanted. Cheap to import (no ora, no chalk): the build's hot path asks before loading either.
 */
import {isCI} from './ci.js'

interface Terminal {
  isTTY?: boolean
  columns?: number
}

/**
 * A spinner redraws by counting wrapped lines against the width: with 0 or no columns (`script -qec`,
 * `docker exec -t` without a size, some CI runners) that count never ends and ora floods the pty.
 * CI logs and TERM=dumb cannot redraw either.
 */
export function spinnerAllowed(stream: Terminal, env: NodeJS.ProcessEnv = process.env): boolean {
  if (stream.isTTY !== true || isCI(env) || env.TERM === 'dumb') return false
  return typeof stream.columns === 'number' && Number.isFinite(stream.columns) && stream.columns > 0
}

/** https://no-color.org and FORCE_COLOR (0/false turns colour off, any other value on), else a TTY that is not dumb. */
export function colorEnabled(stream: Terminal, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  const force = env.FORCE_COLOR
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false'
  return stream.isTTY === true && env.TERM !== 'dumb'
}
