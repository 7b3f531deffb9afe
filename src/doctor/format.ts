import type {Check, CheckStatus} from './checks.js'

const MARK: Record<CheckStatus, string> = {pass: 'pass', warn: 'WARN', fail: 'FAIL'}

/** The one formatter for doctor checks: a status, a title and what was found, then the fix. */
export function formatChecks(checks: Check[]): string {
  const width = Math.max(...checks.map((check) => check.title.length))
  const lines: string[] = []
  for (const check of checks) {
    lines.push(`${MARK[check.status]}  ${check.title.padEnd(width)}  ${check.detail}`)
    if (check.fix && check.status !== 'pass') lines.push(`      ${' '.repeat(width)}  fix: ${check.fix}`)
  }
  const failed = checks.filter((check) => check.status === 'fail').length
  const warned = checks.filter((check) => check.status === 'warn').length
  lines.push('', failed ? `${failed} check(s) failed, ${warned} warning(s)` : `nothing failed, ${warned} warning(s)`)
  return lines.join('\n')
}
