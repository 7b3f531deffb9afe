/**
 * Times to the nanosecond. BuildKit sends a path's mtime to the nanosecond and a layer records the
 * second it falls in, but Node's utimes takes seconds as a double: …07.999999999 lands as
 * …08.000000, another second in the image than plain buildx's. utimensat(2) takes nanoseconds, and
 * Node has no binding for it, so the paths whose times a double cannot carry are set in one python3
 * run (as xattr.ts reads attributes), else with coreutils' touch, one path at a time.
 */
import {spawnSync} from 'node:child_process'

import {encodeText, hasEscapedBytes} from '../surrogate-escape.js'

export interface ExactTime {
  /** The path, a string from names.ts (bytes that are not UTF-8 as lone surrogates). */
  path: string
  atimeNs: bigint
  mtimeNs: bigint
  /** A symlink: its own times, not its target's. */
  link: boolean
}

const NS_PER_S = 1_000_000_000n

/** Seconds as the double Node's utimes takes: exact for a whole second, within about a microsecond otherwise. */
export function seconds(ns: bigint): number {
  return Number(ns) / 1e9
}

/** Whether utimes with `seconds(ns)` lands exactly on `ns`: only for whole seconds (tar, npm, SOURCE_DATE_EPOCH). */
export function utimesIsExact(ns: bigint): boolean {
  return ns % NS_PER_S === 0n
}

const SCRIPT = `
import os, sys
fields = sys.stdin.buffer.read().split(b"\\0")
for i in range(0, len(fields) - 3, 4):
    path, atime, mtime, link = fields[i:i + 4]
    os.utime(path, ns=(int(atime), int(mtime)), follow_symlinks=link != b"1")
`

/** `@<seconds>.<nanoseconds>` as touch -d reads it. */
function touchDate(ns: bigint): string {
  const whole = ns / NS_PER_S
  const rest = ns % NS_PER_S
  return rest >= 0n ? `@${whole}.${String(rest).padStart(9, '0')}` : `@${whole - 1n}.${String(rest + NS_PER_S).padStart(9, '0')}`
}

/** Sets each item's atime and mtime exactly; a plain Error when that fails, for the stage to report. */
export function setExactTimes(items: readonly ExactTime[]): void {
  if (items.length === 0) return
  const input = Buffer.concat(
    items.flatMap((item) => [
      hasEscapedBytes(item.path) ? encodeText(item.path) : Buffer.from(item.path),
      Buffer.from(`\0${item.atimeNs}\0${item.mtimeNs}\0${item.link ? 1 : 0}\0`),
    ]),
  )
  const python = spawnSync('python3', ['-c', SCRIPT], {input, stdio: ['pipe', 'ignore', 'pipe'], encoding: 'utf8', maxBuffer: 1 << 20})
  if (python.status === 0) return
  if (python.error === undefined && python.status !== 127) {
    throw new Error(`cannot set the times of staged files (${python.stderr.trim().split('\n').at(-1) ?? `python3 exit ${python.status}`})`)
  }
  // no python3: touch, one path at a time (it takes a name as bytes only through a Buffer-less argv, so those keep Node's time)
  for (const item of items) {
    if (hasEscapedBytes(item.path)) continue
    for (const [flag, ns] of [
      ['-a', item.atimeNs],
      ['-m', item.mtimeNs],
    ] as const) {
      const touched = spawnSync('touch', [flag, ...(item.link ? ['-h'] : []), '-d', touchDate(ns), '--', item.path], {
        stdio: ['ignore', 'ignore', 'pipe'],
        encoding: 'utf8',
      })
      if (touched.status !== 0) throw new Error(`${item.path}: cannot set its times (${touched.error?.message ?? touched.stderr.trim()})`)
    }
  }
}
