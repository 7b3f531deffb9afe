import {type Colour, paint} from '../colour.js'
import {printable} from '../printable.js'
import type {Check, CheckStatus} from './checks.js'

const MARK: Record<CheckStatus, string> = {pass: 'pass', warn: 'WARN', fail: 'FAIL'}
const COLOUR: Record<CheckStatus, Colour> = {pass: 'green', warn: 'yellow', fail: 'red'}

/**
 * The one formatter for doctor checks: a status, a title and what was found, then the fix. `color`
 * paints the status (the caller decides: colorEnabled honours NO_COLOR, FORCE_COLOR and the TTY).
 */
export function formatChecks(checks: Check[], options: {color?: boolean} = {}): string {
  const color = options.color ?? false
  const width = Math.max(...checks.map((check) => check.title.length))
  const lines: string[] = []
  for (const check of checks) {
    lines.push(
      `${paint(MARK[check.status], COLOUR[check.status], color)}  ${printable(check.title).padEnd(width)}  ${printable(check.detail)}`,
    )
    if (check.fix && check.status !== 'pass') lines.push(`      ${' '.repeat(width)}  fix: ${printable(check.fix)}`)
  }
  const failed = checks.filter((check) => check.status === 'fail').length
  const warned = checks.filter((check) => check.status === 'warn').length
  lines.push('', failed ? `${failed} check(s) failed, ${warned} warning(s)` : `nothing failed, ${warned} warning(s)`)
  return lines.join('\n')
}
