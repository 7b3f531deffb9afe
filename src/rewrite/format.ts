/** One formatter per output kind for findings, and the unified diff of a rewrite. */
import {type Colour, paint} from '../colour.js'
import type {Finding, Rule, Severity} from './types.js'

export type FindingsFormat = 'text' | 'json' | 'sarif' | 'github'

const LABEL: Record<Severity, string> = {error: 'error', warning: 'warning', info: 'info'}
const COLOUR: Record<Severity, Colour> = {error: 'red', warning: 'yellow', info: 'cyan'}

/** `file:line: severity [rule] message`, then the fix status or the line to paste; `color` paints the severity. */
export function formatText(findings: Finding[], file: string, fixed?: Set<Finding>, color = false): string {
  const lines: string[] = []
  for (const finding of findings) {
    const column = finding.column ? `:${finding.column}` : ''
    const status = fixed?.has(finding) ? ' (fixed)' : ''
    lines.push(`${file}:${finding.line}${column}: ${paint(LABEL[finding.severity], COLOUR[finding.severity], color)} [${finding.ruleId}] ${finding.message}${status}`)
    if (finding.suggestion && !fixed?.has(finding)) lines.push(...finding.suggestion.split(/\r?\n/).map((line) => `    ${line}`))
  }
  return lines.join('\n')
}

export function formatJson(findings: Finding[], file: string): string {
  return JSON.stringify({file, findings}, null, 2)
}

const SARIF_LEVEL: Record<Severity, string> = {error: 'error', warning: 'warning', info: 'note'}

export function formatSarif(findings: Finding[], file: string, rules: Rule[]): string {
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'dbuild',
            informationUri: 'https://github.com/dbuild/dbuild',
            rules: rules.map((rule) => ({id: rule.id, shortDescription: {text: rule.description}, defaultConfiguration: {level: SARIF_LEVEL[rule.defaultSeverity]}})),
          },
        },
        results: findings.map((finding) => ({
          ruleId: finding.ruleId,
          level: SARIF_LEVEL[finding.severity],
          message: {text: finding.suggestion ? `${finding.message}\n${finding.suggestion}` : finding.message},
          locations: [{physicalLocation: {artifactLocation: {uri: file}, region: {startLine: finding.line, ...(finding.column ? {startColumn: finding.column} : {})}}}],
        })),
      },
    ],
  }
  return JSON.stringify(sarif, null, 2)
}

const GITHUB_COMMAND: Record<Severity, string> = {error: 'error', warning: 'warning', info: 'notice'}

/** GitHub workflow commands escape %, CR and LF in the message, and also : and , in properties. */
const escapeData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
const escapeProperty = (s: string) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C')

export function formatGithub(findings: Finding[], file: string): string {
  return findings
    .map((finding) => {
      const message = finding.suggestion ? `${finding.message}\n${finding.suggestion}` : finding.message
      const column = finding.column ? `,col=${finding.column}` : ''
      return `::${GITHUB_COMMAND[finding.severity]} file=${escapeProperty(file)},line=${finding.line}${column},title=${escapeProperty(`dbuild ${finding.ruleId}`)}::${escapeData(message)}`
    })
    .join('\n')
}

export function formatFindings(format: FindingsFormat, findings: Finding[], file: string, rules: Rule[], color = false): string {
  switch (format) {
    case 'json':
      return formatJson(findings, file)
    case 'sarif':
      return formatSarif(findings, file, rules)
    case 'github':
      return formatGithub(findings, file)
    default:
      return formatText(findings, file, undefined, color)
  }
}

/** Lines with their terminators kept, so CRLF and a missing final newline survive the diff. */
function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? []
}

/** A unified diff (3 lines of context) between two texts; empty when they are equal. */
export function unifiedDiff(before: string, after: string, file: string, context = 3): string {
  if (before === after) return ''
  const a = splitLines(before)
  const b = splitLines(after)
  // longest common subsequence table, from the end
  const lcs: number[][] = Array.from({length: a.length + 1}, () => new Array<number>(b.length + 1).fill(0))
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!)
    }
  }
  type Op = {kind: ' ' | '-' | '+'; line: string; ai: number; bi: number}
  const ops: Op[] = []
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) ops.push({kind: ' ', line: a[i++]!, ai: i, bi: ++j})
    else if (i < a.length && (j >= b.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) ops.push({kind: '-', line: a[i++]!, ai: i, bi: j})
    else ops.push({kind: '+', line: b[j++]!, ai: i, bi: j})
  }
  const out = [`--- a/${file}`, `+++ b/${file}`]
  let k = 0
  while (k < ops.length) {
    if (ops[k]!.kind === ' ') {
      k++
      continue
    }
    let start = Math.max(0, k - context)
    let end = k
    // extend the hunk while changes are within 2*context lines of each other
    for (let gap = 0; end < ops.length; end++) {
      gap = ops[end]!.kind === ' ' ? gap + 1 : 0
      if (gap > 2 * context) break
    }
    end = Math.min(ops.length, end)
    while (end > k && ops[end - 1]!.kind === ' ' && ops.slice(k, end).filter((op) => op.kind === ' ').length > 0 && trailingContext(ops, end) > context) end--
    const hunk = ops.slice(start, end)
    const aStart = hunk.find((op) => op.kind !== '+')
    const bStart = hunk.find((op) => op.kind !== '-')
    const aCount = hunk.filter((op) => op.kind !== '+').length
    const bCount = hunk.filter((op) => op.kind !== '-').length
    out.push(`@@ -${aCount ? aStart!.ai : start === 0 ? 0 : ops[start - 1]!.ai},${aCount} +${bCount ? bStart!.bi : start === 0 ? 0 : ops[start - 1]!.bi},${bCount} @@`)
    for (const op of hunk) {
      const body = op.line.endsWith('\n') ? op.line.slice(0, -1) : op.line
      out.push(op.kind + body)
      if (!op.line.endsWith('\n')) out.push('\\ No newline at end of file')
    }
    k = end
    start = end
  }
  return out.join('\n') + '\n'
}

function trailingContext(ops: {kind: string}[], end: number): number {
  let n = 0
  for (let i = end - 1; i >= 0 && ops[i]!.kind === ' '; i--) n++
  return n
}
