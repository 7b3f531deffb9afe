/** Test helper (no tests of its own): a comparable listing of a directory tree. */
import {createHash} from 'node:crypto'
import {lstatSync, readFileSync, readdirSync, readlinkSync} from 'node:fs'
import path from 'node:path'

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
  const out: Listed[] = []
  const visit = (dir: string, rel: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const abs = path.join(dir, name)
      const relPath = rel ? `${rel}/${name}` : name
      const stats = lstatSync(abs)
      const mode = options.modes === false ? '' : (stats.mode & 0o7777).toString(8)
      if (stats.isSymbolicLink()) out.push({path: relPath, type: 'symlink', mode: '', target: readlinkSync(abs)})
      else if (stats.isDirectory()) {
        out.push({path: relPath, type: 'dir', mode})
        visit(abs, relPath)
      } else if (stats.isFile()) {
        const sha = createHash('sha256').update(readFileSync(abs)).digest('hex').slice(0, 16)
        out.push({path: relPath, type: 'file', mode, size: stats.size, sha})
      } else out.push({path: relPath, type: 'other', mode})
    }
  }
  visit(root, '')
  return out
}
