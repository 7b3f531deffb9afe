import {mkdirSync, renameSync, writeFileSync} from 'node:fs'
import path from 'node:path'

/** Writes `text` to `file` (parents created) through a rename, so a concurrent reader never sees half of it. */
export function writeFileAtomic(file: string, text: string | Uint8Array): void {
  mkdirSync(path.dirname(file), {recursive: true})
  const temp = `${file}.${process.pid}.tmp`
  writeFileSync(temp, text)
  renameSync(temp, file)
}
