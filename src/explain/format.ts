/** The text form of an explain report and of the --modes listing. */
import {showEscapedBytes} from '../surrogate-escape.js'
import type {ExplainReport, PathDifference} from './compare-manifests.js'

const SHOWN_PATHS = 50

function changeText(difference: PathDifference): string {
  const {before, now} = difference
  return difference.changes
    .map((change) => {
      switch (change) {
        case 'mode':
          return `mode ${before?.mode} -> ${now?.mode}`
        case 'link':
          return `link -> ${now?.target} (was ${before?.target})`
        case 'type':
          return `${before?.type} -> ${now?.type}`
        case 'content':
          return difference.crlf ? 'content (CRLF line endings only)' : 'content'
        default:
          return change
      }
    })
    .join(', ')
}

export function formatReport(report: ExplainReport, manifestFile: string, dockerfile: string): string {
  const lines: string[] = []
  if (report.same) {
    lines.push(`Nothing differs from ${manifestFile}: the context (${report.digest.now}) and the recorded inputs are the same.`)
  } else {
    lines.push(
      report.digest.manifest === report.digest.now
        ? `The context is the same as in ${manifestFile} (${report.digest.now}); other inputs differ.`
        : `The context differs from ${manifestFile}: ${report.digest.manifest} then, ${report.digest.now} now.`,
    )
  }
  if (report.differences.length > 0) {
    lines.push('', `${report.differences.length} path(s) differ:`)
    for (const difference of report.differences.slice(0, SHOWN_PATHS)) {
      const reader = difference.readBy[0]
      const readBy = reader
        ? `read by ${dockerfile}:${reader.line} ${reader.text}${difference.readBy.length > 1 ? ` (+${difference.readBy.length - 1} more)` : ''}`
        : 'read by no instruction of the build'
      lines.push(`  ${showEscapedBytes(difference.path)}: ${changeText(difference)}; ${readBy}`)
    }
    if (report.differences.length > SHOWN_PATHS) lines.push(`  ... and ${report.differences.length - SHOWN_PATHS} more (--json lists all)`)
  }
  if (report.causes.length > 0) {
    lines.push('', 'Other causes:')
    for (const cause of report.causes) lines.push(`  ${cause.message}`)
  }
  if (report.firstMiss) {
    lines.push(
      '',
      `First step to miss the cache: ${dockerfile}:${report.firstMiss.line} ${report.firstMiss.text}`,
      `  because: ${report.firstMiss.why}`,
    )
  } else if (report.miss) {
    lines.push('', 'Every step may miss the cache: see the causes above.')
  } else if (!report.same) {
    lines.push('', 'No instruction of the build reads what differs: every step should still be cached.')
  }
  if (report.causes.some((cause) => cause.kind === 'git'))
    lines.push('', 'Fix: add a line `.git` to .dockerignore (the build reads no .git then).')
  if (report.causes.some((cause) => cause.kind === 'crlf')) {
    lines.push(
      '',
      'Fix line endings: add `* text=auto eol=lf` to .gitattributes (or `-text` for files that must keep their bytes) and check out again.',
    )
  }
  for (const note of report.notes) lines.push(`Note: ${note}`)
  return lines.join('\n')
}

export interface ModeProblem {
  path: string
  type: 'dir' | 'file'
  mode: string
  want: string
}

export function formatModes(problems: ModeProblem[], context: string): string {
  if (problems.length === 0)
    return `Every path BuildKit would be sent from ${context} has a canonical mode: plain buildx gets the same COPY checksums on every machine.`
  const lines = [
    `${problems.length} path(s) in ${context} have modes that make plain \`docker buildx build\` miss the cache made on another machine:`,
  ]
  for (const problem of problems.slice(0, SHOWN_PATHS))
    lines.push(`  ${showEscapedBytes(problem.path)}${problem.type === 'dir' ? '/' : ''}: ${problem.mode}, canonical ${problem.want}`)
  if (problems.length > SHOWN_PATHS) lines.push(`  ... and ${problems.length - SHOWN_PATHS} more (--json lists all)`)
  lines.push(
    '',
    'Fix: run `dbuild normalize` once to set canonical modes in the work tree, and `dbuild hook install` so checkouts keep them;',
    'or build with `dbuild build`, which sends a staged copy with canonical modes.',
  )
  return lines.join('\n')
}
