import {decodeBytes, encodeText, encodedLength} from '../surrogate-escape.js'
import type {Edit, Finding} from './types.js'

export interface Applied {
  /** The spliced bytes: every byte outside an applied edit is the original's. */
  bytes: Buffer
  /** The same, decoded (decodeBytes). */
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

const inside = (edit: Edit, outer: Edit) => outer.range[0] <= edit.range[0] && edit.range[1] <= outer.range[1]

/**
 * `range` of `text` with those of `edits` that lie wholly inside it spliced in (of two that overlap,
 * the first wins, as in applyFixes): the text a later rule keeps when it rewrites the range (see
 * RuleContext.asBuilt).
 */
export function textWithEdits(text: string, range: [number, number], edits: readonly Edit[]): string {
  const [start, end] = range
  const shifted = edits
    .filter((edit) => start <= edit.range[0] && edit.range[1] <= end)
    .map((edit): Finding => ({
      ruleId: '',
      severity: 'info',
      message: '',
      line: 0,
      fix: [{range: [edit.range[0] - start, edit.range[1] - start], text: edit.text}],
    }))
  return applyFixes(text.slice(start, end), shifted).text
}

/**
 * Splices the fixes of `findings` into the original bytes. `text` is decodeBytes(bytes) (the text the
 * rules read; edit ranges are offsets into it); `bytes` defaults to encodeText(text). Findings are
 * taken in order of their first edit; a finding whose edits overlap an accepted edit (or each other)
 * is dropped whole. An edit equal to an accepted one is shared, not a conflict.
 *
 * `asBuilt` are the edits RuleContext.asBuilt shows the rules (image-mirror's). One of them that lies
 * wholly inside an accepted edit marked `asBuilt` is carried by it: that edit's text was made from
 * the as-built text of its range, so the inner edit is already in it and counts as applied. At one
 * start, a finding with an `asBuilt` edit goes first, so that it is the outer one.
 */
export function applyFixes(
  text: string,
  findings: Finding[],
  bytes: Uint8Array = encodeText(text),
  asBuilt: readonly Edit[] = [],
): Applied {
  const withFix = findings.filter((finding) => finding.fix && finding.fix.length > 0)
  const firstStart = (finding: Finding) => Math.min(...(finding.fix ?? []).map((edit) => edit.range[0]))
  const carries = (finding: Finding) => Number((finding.fix ?? []).some((edit) => edit.asBuilt))
  const ordered = [...withFix].sort((a, b) => firstStart(a) - firstStart(b) || carries(b) - carries(a))
  const accepted: Edit[] = []
  const applied: Finding[] = []
  const dropped: Finding[] = []
  const carried = (edit: Edit) =>
    asBuilt.some((other) => sameEdit(edit, other)) && accepted.some((outer) => outer.asBuilt && inside(edit, outer))
  for (const finding of ordered) {
    const edits = (finding.fix ?? []).filter((edit) => !accepted.some((other) => sameEdit(edit, other)) && !carried(edit))
    const valid = edits.every((edit) => edit.range[0] >= 0 && edit.range[0] <= edit.range[1] && edit.range[1] <= text.length)
    const selfOverlap = edits.some((edit, i) => edits.some((other, j) => i < j && overlaps(edit, other)))
    if (!valid || selfOverlap || edits.some((edit) => accepted.some((other) => overlaps(edit, other)))) {
      dropped.push(finding)
      continue
    }
    accepted.push(...edits)
    applied.push(finding)
  }
  if (accepted.length === 0) return {bytes: Buffer.from(bytes), text, applied, dropped}
  accepted.sort((a, b) => a.range[0] - b.range[0])
  // one pass: character offsets become byte offsets by counting the bytes of the text between edits
  const parts: Uint8Array[] = []
  let char = 0
  let byte = 0
  for (const edit of accepted) {
    const start = byte + encodedLength(text.slice(char, edit.range[0]))
    const end = start + encodedLength(text.slice(edit.range[0], edit.range[1]))
    parts.push(bytes.subarray(byte, start), encodeText(edit.text))
    char = edit.range[1]
    byte = end
  }
  parts.push(bytes.subarray(byte))
  const out = Buffer.concat(parts)
  return {bytes: out, text: decodeBytes(out), applied, dropped}
}
