/**
 * Finds user.* extended attributes, which BuildKit hashes into COPY checksums. Node has no xattr
 * API, so this asks python3 (present on nearly every Linux host); without it the answer is unknown.
 */
import {execa} from 'execa'

const SCRIPT = `
import os, sys
for p in sys.stdin.buffer.read().split(b"\\0"):
    if p and any(a.startswith("user.") for a in os.listxattr(p, follow_symlinks=False)):
        sys.stdout.buffer.write(p + b"\\0")
`

/** The paths among `paths` that carry a user.* attribute, or undefined when that cannot be checked. */
export async function pathsWithUserXattrs(paths: string[]): Promise<string[] | undefined> {
  if (paths.length === 0) return []
  const result = await execa('python3', ['-c', SCRIPT], {input: paths.join('\0'), reject: false, stripFinalNewline: false})
  if (result.exitCode !== 0) return undefined
  return result.stdout.split('\0').filter(Boolean)
}
