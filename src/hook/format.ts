import {COVERAGE} from './hooks.js'
import type {HookChange, HookReport, HooksLocation, Manager} from './types.js'

function via(manager: Manager): string {
  if (manager.kind === 'husky') return `husky (dbuild's block in ${manager.dir}/<hook>; husky owns ${'.husky/_'})`
  if (manager.kind === 'lefthook') return `lefthook (${manager.config}; dbuild adds a script lefthook runs)`
  return "git's hooks directory"
}

function details(report: HookReport): string[] {
  return [
    report.state === 'installed' ? `${report.version ?? '?'}${report.outdated ? ', outdated: run dbuild hook install' : ''}` : undefined,
    report.state === 'displaced'
      ? `${report.displacedBy ?? 'another tool'} replaced or moved dbuild's hook: run dbuild hook install`
      : undefined,
    report.chained ? `chains the foreign hook kept as ${report.name}.dbuild-chained` : undefined,
    report.note,
  ].filter((detail): detail is string => Boolean(detail))
}

/** One line per hook, as `hook status|install|uninstall` print them. */
export function formatHookReports(location: HooksLocation, reports: Array<HookChange | HookReport>): string {
  const lines = [
    `hooks directory: ${location.dir}${location.hooksPath ? ` (core.hooksPath=${location.hooksPath})` : ''}`,
    `registered through: ${via(location.manager)}`,
  ]
  for (const report of reports) {
    const action = 'action' in report && report.action !== report.state && report.action !== 'unchanged' ? ` [${report.action}]` : ''
    const parts = details(report)
    lines.push(`  ${report.name.padEnd(14)} ${report.state}${parts.length ? ` (${parts.join('; ')})` : ''}${action}`)
  }
  if (location.note) lines.push(`note: ${location.note}`)
  return lines.join('\n')
}

/** Which git commands the hooks cover and what covers the others (`hook status`, README). */
export function formatCoverage(): string {
  return ['what keeps modes canonical after each git command:', ...COVERAGE.map((row) => `  ${row.command}: ${row.covered}`)].join('\n')
}
