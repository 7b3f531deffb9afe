import type {HookChange, HookReport, HooksLocation} from './hooks.js'

/** One line per hook, as `hook status|install|uninstall` print them. */
export function formatHookReports(location: HooksLocation, reports: Array<HookChange | HookReport>): string {
  const lines = [`hooks directory: ${location.dir}${location.hooksPath ? ` (core.hooksPath=${location.hooksPath})` : ''}`]
  for (const report of reports) {
    const action = 'action' in report && report.action !== report.state && report.action !== 'unchanged' ? ` [${report.action}]` : ''
    const details = [
      report.state === 'installed' ? `v${report.version}${report.outdated ? ', outdated: run dbuild hook install' : ''}` : undefined,
      report.chained ? 'chains the foreign hook kept as ' + report.name + '.dbuild-chained' : undefined,
    ].filter(Boolean)
    lines.push(`  ${report.name.padEnd(14)} ${report.state}${details.length ? ` (${details.join('; ')})` : ''}${action}`)
  }
  if (location.note) lines.push(`note: ${location.note}`)
  return lines.join('\n')
}
