/**
 * Bytes as a string and back, losslessly: the one codec for a Dockerfile's text (rules read text,
 * and every byte a rule did not touch comes out unchanged) and for file names (the kernel keeps
 * bytes; BuildKit sends a name that is not UTF-8 byte for byte). Valid UTF-8 decodes as usual (a
 * byte order mark kept); every byte that is not part of valid UTF-8 becomes one lone low surrogate
 * U+DC80–U+DCFF, as Python's "surrogateescape" does, and is encoded back as that same byte. Decoding
 * valid UTF-8 never yields a lone surrogate, so the two cannot be confused.
 */

const strict = new TextDecoder('utf-8', {fatal: true, ignoreBOM: true})
const loose = new TextDecoder('utf-8', {ignoreBOM: true})

/** Length of the valid UTF-8 sequence at `i` (1–4), or 0 when the byte there starts none. */
export function sequenceLength(bytes: Uint8Array, i: number): number {
  const lead = bytes[i] as number
  if (lead < 0x80) return 1
  let length: number
  let low = 0x80
  let high = 0xbf
  if (lead >= 0xc2 && lead <= 0xdf) length = 2
  else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3
    if (lead === 0xe0) low = 0xa0 // overlong
    if (lead === 0xed) high = 0x9f // UTF-16 surrogates
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4
    if (lead === 0xf0) low = 0x90 // overlong
    if (lead === 0xf4) high = 0x8f // above U+10FFFF
  } else return 0
  if (i + length > bytes.length) return 0
  const second = bytes[i + 1] as number
  if (second < low || second > high) return 0
  for (let k = 2; k < length; k++) if (((bytes[i + k] as number) & 0xc0) !== 0x80) return 0
  return length
}

/** The text of `bytes`, each byte outside valid UTF-8 kept as U+DC00 + byte. */
export function decodeBytes(bytes: Uint8Array): string {
  try {
    return strict.decode(bytes)
  } catch {
    // not valid UTF-8: decode the valid runs and escape the rest byte by byte
  }
  const parts: string[] = []
  let run = 0
  for (let i = 0; i < bytes.length;) {
    const length = sequenceLength(bytes, i)
    if (length > 0) {
      i += length
      continue
    }
    parts.push(loose.decode(bytes.subarray(run, i)), String.fromCharCode(0xdc00 + (bytes[i] as number)))
    run = ++i
  }
  parts.push(loose.decode(bytes.subarray(run)))
  return parts.join('')
}

/** A lone low surrogate in U+DC80–U+DCFF: one escaped byte (a low surrogate after a high one is half of a real character). */
const ESCAPED_BYTE = /(?<![\uD800-\uDBFF])[\uDC80-\uDCFF]/g
const HAS_ESCAPED_BYTE = /(?<![\uD800-\uDBFF])[\uDC80-\uDCFF]/

/** Whether text holds an escaped byte, one that is not UTF-8. */
export function hasEscapedBytes(text: string): boolean {
  return HAS_ESCAPED_BYTE.test(text)
}

/** The bytes of text from decodeBytes (or any string): escaped bytes as themselves, the rest as UTF-8. */
export function encodeText(text: string): Buffer {
  if (!/[\uDC80-\uDCFF]/.test(text)) return Buffer.from(text, 'utf8')
  const parts: Buffer[] = []
  let last = 0
  for (const match of text.matchAll(ESCAPED_BYTE)) {
    parts.push(Buffer.from(text.slice(last, match.index), 'utf8'), Buffer.of(match[0].charCodeAt(0) - 0xdc00))
    last = match.index + 1
  }
  parts.push(Buffer.from(text.slice(last), 'utf8'))
  return Buffer.concat(parts)
}

/** How many bytes encodeText(text) has, without building them. */
export function encodedLength(text: string): number {
  const escaped = /[\uDC80-\uDCFF]/.test(text) ? [...text.matchAll(ESCAPED_BYTE)].length : 0
  // Buffer.byteLength counts a lone surrogate as the 3 bytes of U+FFFD; an escaped byte is 1
  return Buffer.byteLength(text, 'utf8') - 2 * escaped
}

/** text for a person to read: each escaped byte as `\xNN` (written as it is, it would show as U+FFFD). */
export function showEscapedBytes(text: string): string {
  return hasEscapedBytes(text) ? text.replace(ESCAPED_BYTE, (byte) => `\\x${(byte.charCodeAt(0) - 0xdc00).toString(16)}`) : text
}
