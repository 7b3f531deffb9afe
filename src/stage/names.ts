/**
 * File names as the kernel keeps them: bytes, not text. BuildKit sends a name that is not valid
 * UTF-8 byte for byte, so the stage must too, while everything else in it (paths, the ignore
 * matcher, the saved listings) works on strings.
 *
 * A name is therefore a string in which each byte that is not part of valid UTF-8 is kept as the
 * lone surrogate U+DC80..U+DCFF (Python's "surrogateescape"). Decoding valid UTF-8 never yields a
 * lone surrogate, so the two cannot be confused, and the string converts back to the exact bytes
 * (fsPath) wherever it reaches the file system.
 */
import {readdirSync, readlinkSync, type Dirent} from 'node:fs'

const ESCAPED_BYTE = /(?<![\uD800-\uDBFF])[\uDC80-\uDCFF]/

/** Length of the valid UTF-8 sequence at `at`, or 0 when the byte there does not start one. */
export function sequenceLength(bytes: Uint8Array, at: number): number {
  const first = bytes[at] as number
  let length: number
  let min: number
  if (first < 0x80) return 1
  if (first >= 0xc2 && first <= 0xdf) [length, min] = [2, 0x80]
  else if (first >= 0xe0 && first <= 0xef) [length, min] = [3, 0x800]
  else if (first >= 0xf0 && first <= 0xf4) [length, min] = [4, 0x10000]
  else return 0
  if (at + length > bytes.length) return 0
  let codePoint = first & (0xff >> (length + 1))
  for (let i = 1; i < length; i++) {
    const next = bytes[at + i] as number
    if ((next & 0xc0) !== 0x80) return 0
    codePoint = (codePoint << 6) | (next & 0x3f)
  }
  if (codePoint < min || codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) return 0
  return length
}

/** The name for raw bytes: valid UTF-8 decoded, every other byte kept as U+DC80..U+DCFF. */
export function decodeName(bytes: Uint8Array): string {
  let text = ''
  let start = 0
  let at = 0
  while (at < bytes.length) {
    const length = sequenceLength(bytes, at)
    if (length > 0) {
      at += length
      continue
    }
    text += Buffer.from(bytes.subarray(start, at)).toString('utf8') + String.fromCharCode(0xdc00 + (bytes[at] as number))
    at++
    start = at
  }
  return text + Buffer.from(bytes.subarray(start)).toString('utf8')
}

/** The exact bytes of a name made by decodeName (or of any well-formed string). */
export function encodeName(name: string): Buffer {
  const parts: Buffer[] = []
  let plain = ''
  for (const char of name) {
    const unit = char.charCodeAt(0)
    if (char.length === 1 && unit >= 0xdc80 && unit <= 0xdcff) {
      parts.push(Buffer.from(plain, 'utf8'), Buffer.from([unit - 0xdc00]))
      plain = ''
    } else plain += char
  }
  parts.push(Buffer.from(plain, 'utf8'))
  return Buffer.concat(parts)
}

/** Whether a name holds bytes that are not UTF-8. */
export function hasRawBytes(name: string): boolean {
  return ESCAPED_BYTE.test(name)
}

/** The path to hand to `fs`: the string itself, or its exact bytes when it holds bytes that are not UTF-8. */
export function fsPath(name: string): string | Buffer {
  return ESCAPED_BYTE.test(name) ? encodeName(name) : name
}

/** A name read as UTF-8 that lost bytes: Node turned each undecodable byte into U+FFFD. */
function mayHaveLostBytes(name: string): boolean {
  return name.includes('\uFFFD')
}

/** readdir with byte-exact names (see decodeName). */
export function readNames(dir: string): string[] {
  const names = readdirSync(fsPath(dir))
  if (!names.some(mayHaveLostBytes)) return names
  return readdirSync(fsPath(dir), {encoding: 'buffer'}).map(decodeName)
}

/** readdir with types and byte-exact names (see decodeName). */
export function readDirents(dir: string): {names: string[]; dirents: Dirent[]} {
  const dirents = readdirSync(fsPath(dir), {withFileTypes: true})
  if (!dirents.some((dirent) => mayHaveLostBytes(dirent.name))) return {names: dirents.map((dirent) => dirent.name), dirents}
  const raw = readdirSync(fsPath(dir), {withFileTypes: true, encoding: 'buffer'})
  return {names: raw.map((dirent) => decodeName(dirent.name as unknown as Buffer)), dirents: raw as unknown as Dirent[]}
}

/** readlink with a byte-exact target (see decodeName). */
export function readLink(link: string): string {
  const target = readlinkSync(fsPath(link))
  return mayHaveLostBytes(target) ? decodeName(readlinkSync(fsPath(link), {encoding: 'buffer'})) : target
}
