/**
 * Finds user.* extended attributes, which BuildKit hashes into COPY checksums. Node has no xattr
 * API, so this asks python3 (present on nearly every Linux host); without it the answer is unknown.
 */
import {execa} from 'execa'

import {decodeBytes, encodeText, hasEscapedBytes} from '../surrogate-escape.js'
import {childDirectory} from '../working-dir.js'

const SCRIPT = `
import os, sys
for p in sys.stdin.buffer.read().split(b"\\0"):
    if p and any(a.startswith("user.") for a in os.listxattr(p, follow_symlinks=False)):
        sys.stdout.buffer.write(p + b"\\0")
`

/** The paths among `paths` that carry a user.* attribute, or undefined when that cannot be checked. */
export async function pathsWithUserXattrs(paths: string[]): Promise<string[] | undefined> {
  if (paths.length === 0) return []
  // names go both ways as bytes: a name that is not UTF-8 must reach python3 as it is (see names.ts)
  const input = paths.some(hasEscapedBytes) ? Buffer.concat(paths.flatMap((name) => [encodeText(name), Buffer.of(0)])) : paths.join('\0')
  const result = await execa('python3', ['-c', SCRIPT], {
    input,
    cwd: childDirectory(),
    encoding: 'buffer',
    reject: false,
    stripFinalNewline: false,
  })
  if (result.exitCode !== 0) return undefined
  const found: string[] = []
  let start = 0
  for (let at = result.stdout.indexOf(0); at !== -1; at = result.stdout.indexOf(0, start)) {
    if (at > start) found.push(decodeBytes(result.stdout.subarray(start, at)))
    start = at + 1
  }
  return found
}
