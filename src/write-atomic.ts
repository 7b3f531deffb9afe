import {closeSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, unlinkSync, writeSync} from 'node:fs'
import path from 'node:path'

/**
 * Files named after the process that writes them (`<name>.<pid>.<suffix>`): a temp file before its
 * rename, a waiter's private lock file. A process killed (SIGKILL, OOM, power) leaves its file
 * behind, and the next writer in the same directory removes it once its process is gone. This is
 * the one owner of that convention: the stage lock (stage/lock.ts) uses it too.
 */

/** True when process `pid` on this host is gone (a pid still in use, even by another program, is not). */
export function processIsGone(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return false
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'
  }
}

/**
 * Removes the files `<base>.<pid>.<suffix>` in `dir` whose process is gone and for which
 * `abandoned(file, pid)` agrees (it may read the file, or check its age); `suffix` matches the rest
 * of the name. One that vanishes meanwhile was removed by another sweeper.
 */
export function removeAbandoned(
  dir: string,
  base: string,
  suffix: RegExp,
  abandoned: (file: string, pid: number) => boolean = () => true,
): void {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return
  }
  const prefix = `${base}.`
  for (const name of names) {
    if (!name.startsWith(prefix)) continue
    const rest = name.slice(prefix.length)
    const dot = rest.indexOf('.')
    if (dot <= 0 || !/^\d+$/.test(rest.slice(0, dot)) || !suffix.test(rest.slice(dot + 1))) continue
    const pid = Number(rest.slice(0, dot))
    const file = path.join(dir, name)
    if (pid === process.pid || !processIsGone(pid) || !abandoned(file, pid)) continue
    try {
      unlinkSync(file)
    } catch {
      // removed by another sweeper meanwhile
    }
  }
}

/**
 * mkdir -p, one directory at a time: Node's recursive mkdir reports ENOENT where a parent lies on a
 * read-only file system, and the error must say EROFS.
 */
export function makeDirectories(dir: string): void {
  if (existsSync(dir)) return
  const parent = path.dirname(dir)
  if (parent !== dir) makeDirectories(parent)
  try {
    mkdirSync(dir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }
}

/**
 * A temp file is taken for abandoned only when it is also older than this: the pid in its name is
 * looked up on this host, and a directory shared with another host (a cache on NFS) may hold the
 * temp file of a live writer there, which never takes this long.
 */
const TEMP_GRACE_MS = 60_000

function isOldTemp(file: string): boolean {
  const stats = lstatSync(file, {throwIfNoEntry: false})
  return stats !== undefined && stats.isFile() && Date.now() - stats.mtimeMs > TEMP_GRACE_MS
}

/**
 * A file written in pieces through a temp file renamed over it on commit, so a concurrent reader
 * never sees half of it. `mode` is the new file's permission (the rename replaces the old file and
 * its mode). A failed write (a full disk) or an abort leaves no temp file behind; temp files of
 * writers that were killed are removed by the next commit beside them.
 */
export class AtomicFile {
  private readonly temp: string
  private fd: number | undefined

  constructor(
    private readonly file: string,
    mode?: number,
  ) {
    makeDirectories(path.dirname(file))
    this.temp = `${file}.${process.pid}.tmp`
    this.fd = openSync(this.temp, 'w', mode)
  }

  write(chunk: string | Uint8Array): void {
    try {
      writeAll(this.fd as number, chunk)
    } catch (error) {
      this.abort()
      throw error
    }
  }

  commit(): void {
    try {
      closeSync(this.fd as number)
      this.fd = undefined
      renameSync(this.temp, this.file)
    } catch (error) {
      this.abort()
      throw error
    }
    removeAbandoned(path.dirname(this.file), path.basename(this.file), /^tmp$/, isOldTemp)
  }

  abort(): void {
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd)
      } catch {
        // closed is all that was asked
      }
      this.fd = undefined
    }
    rmSync(this.temp, {force: true})
  }
}

/** Writes `data` to `file` (parents created) through a rename; see AtomicFile. */
export function writeFileAtomic(file: string, data: string | Uint8Array, mode?: number): void {
  const out = new AtomicFile(file, mode)
  out.write(data)
  out.commit()
}

/** Writes all of `chunk` at the file position of `fd`. */
export function writeAll(fd: number, chunk: string | Uint8Array): void {
  if (typeof chunk === 'string') {
    if (chunk.length > 0) writeAll(fd, Buffer.from(chunk))
    return
  }
  for (let at = 0; at < chunk.length;) at += writeSync(fd, chunk, at, chunk.length - at)
}
