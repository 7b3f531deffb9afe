/** One formatter per output kind for findings, and the unified diff of a rewrite. */
import {createRequire} from 'node:module'

import {type Colour, paint} from '../colour.js'
import {printable} from '../printable.js'
import type {Finding, Rule, Severity} from './types.js'

export type FindingsFormat = 'text' | 'json' | 'sarif' | 'github' | 'gitlab' | 'checkstyle'
export const FINDINGS_FORMATS: readonly FindingsFormat[] = ['text', 'json', 'sarif', 'github', 'gitlab', 'checkstyle']

/** The findings of one Dockerfile; a report is a list of them, so a repository-wide run is one report. */
export interface FileFindings {
  /** As shown: relative to the working directory where it can be. */
  file: string
  findings: Finding[]
}

const LABEL: Record<Severity, string> = {error: 'error', warning: 'warning', info: 'info'}
const COLOUR: Record<Severity, Colour> = {error: 'red', warning: 'yellow', info: 'cyan'}

/**
 * `file:line: severity [rule] message`, then the fix status or the line to paste. The file name,
 * the message and the line (the user's text) are escaped before the severity is painted, so a
 * control character in them reaches the terminal as `\x1b`, never as an escape sequence.
 */
export function formatText(findings: Finding[], file: string, fixed?: Set<Finding>, color = false): string {
  const lines: string[] = []
  const shownFile = printable(file, {newlines: false})
  for (const finding of findings) {
    const column = finding.column ? `:${finding.column}` : ''
    const status = fixed?.has(finding) ? ' (fixed)' : ''
    lines.push(
      `${shownFile}:${finding.line}${column}: ${paint(LABEL[finding.severity], COLOUR[finding.severity], color)} [${printable(finding.ruleId, {newlines: false})}] ${printable(finding.message)}${status}`,
    )
    if (finding.suggestion && !fixed?.has(finding)) lines.push(...finding.suggestion.split(/\r?\n/).map((line) => `    ${printable(line)}`))
  }
  return lines.join('\n')
}

/** `{findings: [{file, ruleId, severity, line, message, …}]}`: every finding names its file. */
export function formatJson(reports: FileFindings[]): string {
  const findings = reports.flatMap(({file, findings}) =>
    findings.map(({fix, ...finding}) => ({file, ...finding, fixable: Boolean(fix && fix.length > 0)})),
  )
  return JSON.stringify({findings}, null, 2)
}

const SARIF_LEVEL: Record<Severity, string> = {error: 'error', warning: 'warning', info: 'note'}

const messageWithSuggestion = (finding: Finding) => (finding.suggestion ? `${finding.message}\n${finding.suggestion}` : finding.message)

export function formatSarif(reports: FileFindings[], rules: Rule[]): string {
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'dbuild',
            informationUri: 'https://github.com/dbuild/dbuild',
            rules: rules.map((rule) => ({
              id: rule.id,
              shortDescription: {text: rule.description},
              defaultConfiguration: {level: SARIF_LEVEL[rule.defaultSeverity]},
            })),
          },
        },
        results: reports.flatMap(({file, findings}) =>
          findings.map((finding) => ({
            ruleId: finding.ruleId,
            level: SARIF_LEVEL[finding.severity],
            message: {text: messageWithSuggestion(finding)},
            locations: [
              {
                physicalLocation: {
                  artifactLocation: {uri: file},
                  region: {startLine: finding.line, ...(finding.column ? {startColumn: finding.column} : {})},
                },
              },
            ],
          })),
        ),
      },
    ],
  }
  return JSON.stringify(sarif, null, 2)
}

const GITHUB_COMMAND: Record<Severity, string> = {error: 'error', warning: 'warning', info: 'notice'}

/**
 * GitHub workflow commands escape %, CR and LF in the message, and also : and , in properties; the
 * log shows other control characters as the terminal would, so they are escaped as text prints them.
 */
const escapeData = (s: string) => printable(s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A'))
const escapeProperty = (s: string) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C')

export function formatGithub(reports: FileFindings[]): string {
  return reports
    .flatMap(({file, findings}) =>
      findings.map((finding) => {
        const column = finding.column ? `,col=${finding.column}` : ''
        const properties = `file=${escapeProperty(file)},line=${finding.line}${column},title=${escapeProperty(`dbuild ${finding.ruleId}`)}`
        return `::${GITHUB_COMMAND[finding.severity]} ${properties}::${escapeData(messageWithSuggestion(finding))}`
      }),
    )
    .join('\n')
}

const GITLAB_SEVERITY: Record<Severity, string> = {error: 'major', warning: 'minor', info: 'info'}

/**
 * GitLab code quality (a JSON array of Code Climate issues): description, check_name, a
 * fingerprint unique per issue and stable between runs, severity, and location.path/lines.begin.
 */
export function formatGitlab(reports: FileFindings[]): string {
  const seen = new Map<string, number>()
  const issues = reports.flatMap(({file, findings}) =>
    findings.map((finding) => {
      // the same rule can fire twice on one line: the occurrence keeps the fingerprints apart
      const base = `${file}\0${finding.ruleId}\0${finding.line}\0${finding.message}`
      const occurrence = seen.get(base) ?? 0
      seen.set(base, occurrence + 1)
      return {
        description: `[${finding.ruleId}] ${finding.message}`,
        check_name: finding.ruleId,
        fingerprint: md5().update(`${base}\0${occurrence}`).digest('hex'),
        severity: GITLAB_SEVERITY[finding.severity],
        location: {path: file, lines: {begin: finding.line}},
      }
    }),
  )
  return JSON.stringify(issues, null, 2)
}

/** node:crypto costs a lint more start-up than the rest of it; only the gitlab format hashes. */
function md5(): import('node:crypto').Hash {
  return (createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto')).createHash('md5')
}

/**
 * Escaped for an XML attribute; a newline as a character reference, which attribute normalization
 * keeps. XML 1.0 allows no other control character, even as a reference: those are shown as text.
 */
const xml = (s: string) =>
  printable(
    s
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
      .replace(/\r/g, '&#13;')
      .replace(/\n/g, '&#10;'),
  )

/** Checkstyle XML, one <file> per Dockerfile (those without findings too, as hadolint writes it). */
export function formatCheckstyle(reports: FileFindings[]): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<checkstyle version="4.3">']
  for (const {file, findings} of reports) {
    lines.push(`  <file name="${xml(file)}">`)
    for (const finding of findings) {
      const column = finding.column ? ` column="${finding.column}"` : ''
      lines.push(
        `    <error line="${finding.line}"${column} severity="${finding.severity}" ` +
          `message="${xml(messageWithSuggestion(finding))}" source="dbuild.${xml(finding.ruleId)}"/>`,
      )
    }
    lines.push('  </file>')
  }
  lines.push('</checkstyle>')
  return lines.join('\n')
}

/** `color` paints the severities of the text format (the caller decides: colorEnabled). */
export function formatReport(format: FindingsFormat, reports: FileFindings[], rules: Rule[], color = false): string {
  switch (format) {
    case 'json':
      return formatJson(reports)
    case 'sarif':
      return formatSarif(reports, rules)
    case 'github':
      return formatGithub(reports)
    case 'gitlab':
      return formatGitlab(reports)
    case 'checkstyle':
      return formatCheckstyle(reports)
    default:
      return reports
        .map(({file, findings}) => formatText(findings, file, undefined, color))
        .filter(Boolean)
        .join('\n')
  }
}

/** Lines with their terminators kept, so CRLF and a missing final newline survive the diff. */
function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? []
}

/**
 * A path in a diff header as git writes one: in double quotes with C escapes when it holds a control
 * character, a quote or a backslash, so `git apply` reads the name back and no byte of it is obeyed.
 */
export function diffPath(name: string): string {
  // eslint-disable-next-line no-control-regex -- quoting control characters is what this does
  if (!/[\u0000-\u001f\u007f"\\]/u.test(name)) return name
  const named: Record<string, string> = {'\t': '\\t', '\n': '\\n', '"': '\\"', '\\': '\\\\'}
  // eslint-disable-next-line no-control-regex -- as above
  const quoted = name.replace(/[\u0000-\u001f\u007f"\\]/gu, (char) => named[char] ?? `\\${char.charCodeAt(0).toString(8).padStart(3, '0')}`)
  return `"${quoted}"`
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
  const out = [`--- ${diffPath(`a/${file}`)}`, `+++ ${diffPath(`b/${file}`)}`]
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
    while (
      end > k &&
      ops[end - 1]!.kind === ' ' &&
      ops.slice(k, end).filter((op) => op.kind === ' ').length > 0 &&
      trailingContext(ops, end) > context
    )
      end--
    const hunk = ops.slice(start, end)
    const aStart = hunk.find((op) => op.kind !== '+')
    const bStart = hunk.find((op) => op.kind !== '-')
    const aCount = hunk.filter((op) => op.kind !== '+').length
    const bCount = hunk.filter((op) => op.kind !== '-').length
    out.push(
      `@@ -${aCount ? aStart!.ai : start === 0 ? 0 : ops[start - 1]!.ai},${aCount} +${bCount ? bStart!.bi : start === 0 ? 0 : ops[start - 1]!.bi},${bCount} @@`,
    )
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
