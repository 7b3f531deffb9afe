import {mkdirSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'

/**
 * Writes `data` to `file` (parents created) through a rename, so a concurrent reader never sees half
 * of it. `mode` is the new file's permission (the rename replaces the old file and its mode). A
 * failed write (a full disk) leaves no temp file behind.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, mode?: number): void {
  mkdirSync(path.dirname(file), {recursive: true})
  const temp = `${file}.${process.pid}.tmp`
  try {
    writeFileSync(temp, data, mode === undefined ? {} : {mode})
    renameSync(temp, file)
  } catch (error) {
    rmSync(temp, {force: true})
    throw error
  }
}
