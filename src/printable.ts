/**
 * Text from the user's files (names, .dbuild.json keys, Dockerfile lines) made safe for a terminal:
 * control characters are shown escaped (`\x1b`, `\x07`, `\r`, `\u009b`), so an escape sequence in
 * a file name cannot clear the screen or set the window title. Line feeds and tabs are kept where a
 * message is meant to span lines. JSON output needs none of this: JSON escapes them already.
 */
export function printable(text: string, keep: {newlines?: boolean} = {newlines: true}): string {
  // C0 controls, DEL and the C1 controls (U+0080–U+009F, which some terminals also obey)
  // eslint-disable-next-line no-control-regex -- matching control characters is what this does
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/gu, (char) => {
    if (char === '\t' || (char === '\n' && keep.newlines !== false)) return char
    if (char === '\r') return '\\r'
    const code = char.charCodeAt(0)
    return code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
  })
}

/** One line of dbuild's own text (a note, a warning) on a stream, with the user's text in it escaped. */
export function writeLine(stream: NodeJS.WritableStream, line: string): void {
  stream.write(`${printable(line)}\n`)
}
