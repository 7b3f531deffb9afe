import type {Edit, Finding} from './types.js'

export interface Applied {
  text: string
  /** Findings whose edits were all applied. */
  applied: Finding[]
  /** Findings with a fix that overlapped an earlier one; none of their edits were applied. */
  dropped: Finding[]
}

function overlaps(a: Edit, b: Edit): boolean {
  // Two insertions at the same point also conflict: their order would be arbitrary.
  if (a.range[0] === a.range[1] && b.range[0] === b.range[1]) return a.range[0] === b.range[0]
  return a.range[0] < b.range[1] && b.range[0] < a.range[1]
}

/** The same edit made by two findings (e.g. one helper stage that several lines need) is applied once. */
const sameEdit = (a: Edit, b: Edit) => a.range[0] === b.range[0] && a.range[1] === b.range[1] && a.text === b.text

/**
 * Splices the fixes of `findings` into `text`. Findings are taken in order of their first edit;
 * a finding whose edits overlap an accepted edit (or each other) is dropped whole. An edit equal to
 * an accepted one is shared, not a conflict.
 */
export function applyFixes(text: string, findings: Finding[]): Applied {
  const withFix = findings.filter((finding) => finding.fix && finding.fix.length > 0)
  const firstStart = (finding: Finding) => Math.min(...(finding.fix ?? []).map((edit) => edit.range[0]))
  const ordered = [...withFix].sort((a, b) => firstStart(a) - firstStart(b))
  const accepted: Edit[] = []
  const applied: Finding[] = []
  const dropped: Finding[] = []
  for (const finding of ordered) {
    const edits = (finding.fix ?? []).filter((edit) => !accepted.some((other) => sameEdit(edit, other)))
    const valid = edits.every((edit) => edit.range[0] >= 0 && edit.range[0] <= edit.range[1] && edit.range[1] <= text.length)
    const selfOverlap = edits.some((edit, i) => edits.some((other, j) => i < j && overlaps(edit, other)))
    if (!valid || selfOverlap || edits.some((edit) => accepted.some((other) => overlaps(edit, other)))) {
      dropped.push(finding)
      continue
    }
    accepted.push(...edits)
    applied.push(finding)
  }
  accepted.sort((a, b) => a.range[0] - b.range[0])
  let out = ''
  let cursor = 0
  for (const edit of accepted) {
    out += text.slice(cursor, edit.range[0]) + edit.text
    cursor = edit.range[1]
  }
  return {text: out + text.slice(cursor), applied, dropped}
}
