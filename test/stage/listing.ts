/** Test helper (no tests of its own): a comparable listing of a directory tree. */
import {createHash} from 'node:crypto'
import {readFileSync, readlinkSync} from 'node:fs'
import path from 'node:path'

import fg from 'fast-glob'

export interface Listed {
  path: string
  type: 'dir' | 'file' | 'other' | 'symlink'
  mode: string
  size?: number
  sha?: string
  target?: string
}

/** Every path below `root`, sorted, with type, mode (octal, special bits included), size, content hash and link target. */
export function listTree(root: string, options: {modes?: boolean} = {}): Listed[] {
  const entries = fg.sync('**', {cwd: root, dot: true, onlyFiles: false, followSymbolicLinks: false, stats: true, unique: true})
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  return entries.map(({path: rel, stats}): Listed => {
    const abs = path.join(root, rel)
    const mode = options.modes === false || !stats ? '' : (stats.mode & 0o7777).toString(8)
    if (stats?.isSymbolicLink()) return {path: rel, type: 'symlink', mode: '', target: readlinkSync(abs)}
    if (stats?.isDirectory()) return {path: rel, type: 'dir', mode}
    if (stats?.isFile()) {
      const sha = createHash('sha256').update(readFileSync(abs)).digest('hex').slice(0, 16)
      return {path: rel, type: 'file', mode, size: stats.size, sha}
    }
    return {path: rel, type: 'other', mode}
  })
}
