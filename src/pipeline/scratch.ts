/**
 * Where the pipeline writes what buildx reads besides the context (a Dockerfile copy, bake's
 * definition) when dbuild's cache cannot take it, and how files it leaves in the cache age out.
 */
import {mkdtempSync, readdirSync, renameSync, rmSync, statSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

let ownTempRoot: string | undefined

/** A directory of this process's own in the temp directory, removed as dbuild exits (after buildx has run). */
export function tempRoot(): string {
  if (ownTempRoot === undefined) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dbuild-'))
    process.once('exit', () => rmSync(dir, {recursive: true, force: true}))
    ownTempRoot = dir
  }
  return ownTempRoot
}

/** The temp directory when this process made one: bake grants buildx reading it. */
export function usedTempRoot(): string | undefined {
  return ownTempRoot
}

/**
 * Files named by their content pile up: every edit leaves one more. Whatever in `dir` matches
 * `pattern` and was not written for a week goes, except `kept`. Every build rewrites what it uses
 * (a fresh mtime), and buildx reads it only as the build starts; an entry is renamed away before it
 * is removed, so a build writing it at that instant fails to write and takes the temp-directory
 * path instead, never half a directory.
 */
export function removeStale(dir: string, pattern: RegExp, kept: string, maxAgeMs = 7 * 24 * 60 * 60 * 1000): void {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return
  }
  const now = Date.now()
  for (const name of names) {
    if (name === kept || !pattern.test(name)) continue
    const entry = path.join(dir, name)
    const stats = statSync(entry, {throwIfNoEntry: false})
    // a directory's age is its Dockerfile's: rewriting the file leaves the directory's mtime alone
    const written = stats?.isDirectory()
      ? (statSync(path.join(entry, 'Dockerfile'), {throwIfNoEntry: false}) ?? stats).mtimeMs
      : stats?.mtimeMs
    if (written === undefined || now - written < maxAgeMs) continue
    const gone = `${entry}.${process.pid}.gone`
    try {
      renameSync(entry, gone)
      rmSync(gone, {recursive: true, force: true})
    } catch {
      // removed by another build meanwhile, or the cache is read-only: neither is this build's concern
    }
  }
}
