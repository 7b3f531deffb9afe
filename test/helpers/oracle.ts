/**
 * Plain `docker buildx build` is the oracle: build one context with plain buildx and with dbuild,
 * both to `--output type=tar`, and compare the two file systems entry by entry.
 *
 * The tar reader is hand-written on purpose: tar-stream and node-tar both decode PAX records as
 * UTF-8, and BuildKit (Go's archive/tar) writes every non-ASCII name as a PAX `path` record of the
 * name's raw bytes, so a name that is not UTF-8 would come back as U+FFFD and two different names
 * would compare equal. Here names, link targets and xattr values keep their bytes (one latin1 char
 * per byte).
 *
 * What dbuild may change, and nothing else (ALLOWED_DIFFERENCES says it in words):
 *   - the mode of a regular file, directory or FIFO may be the canonical mode of plain's
 *     (src/mode-policy.ts: the stage's modes), setuid/setgid/sticky bits dropped with it;
 *   - a device node (char or block) in plain's image may be missing from ours: the stage leaves
 *     devices out, only root can make one;
 *   - a user.* xattr in plain's image may be missing from ours: the stage drops them;
 *   - an mtime the build itself set, at or after its start in both images: a COPY into a directory
 *     sets the directory's mtime to the time of the copy, and a context's root arrives with the time
 *     BuildKit made its copy of the context, so plain buildx differs from itself there.
 * The tar exporter keeps mtimes to the second (BuildKit writes no PAX mtime), so that is what is compared.
 */
import {existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync} from 'node:fs'
import {open} from 'node:fs/promises'
import {createHash} from 'node:crypto'
import os from 'node:os'
import path from 'node:path'

import {execa} from 'execa'

import {modeFromDisk} from '../../src/mode-policy.js'
import {type Daemon, ROOT} from '../engine/index.js'
import type {BuildxRun} from './index.js'

/** The differences dbuild is allowed by design, in words, for reports and the README. */
export const ALLOWED_DIFFERENCES = [
  "a regular file, directory or FIFO may have the canonical mode of plain's mode (0755 for directories and owner-executable files, 0644 otherwise)",
  "a char or block device in plain's image may be missing from dbuild's (the stage leaves devices out)",
  "a user.* xattr in plain's image may be missing from dbuild's (the stage drops them)",
  'an mtime set by the build itself (at or after the build started, in both images): a directory a COPY wrote into, the context root',
] as const

export type TarEntryType = 'block' | 'char' | 'dir' | 'fifo' | 'file' | 'hardlink' | 'other' | 'symlink'

export interface TarEntry {
  /** The name's raw bytes, one latin1 char per byte, without a leading `./` or `/` and a trailing `/`; the root is `.`. */
  path: string
  type: TarEntryType
  /** The raw typeflag character. */
  typeflag: string
  /** Permission and special bits (mode & 0o7777). */
  mode: number
  uid: number
  gid: number
  uname: string
  gname: string
  /** Bytes of content stored in the tar (0 for everything but regular files). */
  size: number
  /** sha256 of the content, regular files only. */
  sha256?: string
  /** Symlink or hard-link target, raw bytes as latin1 (a hard link's normalized like a path). */
  linkname?: string
  /** Modification time exactly as stored: `seconds.nanoseconds` (nine digits; zeros where the tar has whole seconds). */
  mtime: string
  devmajor: number
  devminor: number
  /** PAX SCHILY.xattr.* records: name → raw value (latin1). */
  xattrs: Record<string, string>
}

const BLOCK = 512

const TYPES: Record<string, TarEntryType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'char',
  '4': 'block',
  '5': 'dir',
  '6': 'fifo',
}

/** Types that store no data whatever their size field says (as Go's archive/tar reads them). */
const HEADER_ONLY = new Set(['1', '2', '3', '4', '5', '6'])

/** A NUL-terminated field's raw bytes as latin1. */
function field(header: Buffer, offset: number, length: number): string {
  const slice = header.subarray(offset, offset + length)
  const end = slice.indexOf(0)
  return slice.subarray(0, end === -1 ? length : end).toString('latin1')
}

/** A numeric field: octal text, or base-256 (GNU) when the high bit of the first byte is set. */
function numeric(header: Buffer, offset: number, length: number): number {
  const slice = header.subarray(offset, offset + length)
  if ((slice[0] ?? 0) & 0x80) {
    let value = (slice[0] ?? 0) & 0x7f
    for (const byte of slice.subarray(1)) value = value * 256 + byte
    return value
  }
  const text = slice
    .toString('latin1')
    .replace(/[\0 ].*$/s, '')
    .trim()
  return text === '' ? 0 : Number.parseInt(text, 8)
}

/** PAX records (`LEN key=value\n`): values keep their bytes. */
function paxRecords(data: Buffer): Map<string, string> {
  const records = new Map<string, string>()
  let at = 0
  while (at < data.length) {
    const space = data.indexOf(0x20, at)
    if (space === -1) break
    const length = Number.parseInt(data.subarray(at, space).toString('latin1'), 10)
    if (!Number.isFinite(length) || length <= 0) break
    const record = data.subarray(space + 1, at + length - 1)
    const equals = record.indexOf(0x3d)
    if (equals !== -1) records.set(record.subarray(0, equals).toString('latin1'), record.subarray(equals + 1).toString('latin1'))
    at += length
  }
  return records
}

/** `./a/b/` → `a/b`, `./` → `.` */
export function normalizeTarPath(name: string): string {
  const trimmed = name.replace(/^(\.\/|\/)+/, '').replace(/\/+$/, '')
  return trimmed === '' || trimmed === '.' ? '.' : trimmed
}

/** `S` or `S.F` → `S.FFFFFFFFF`. */
function exactTime(text: string): string {
  const [seconds = '0', fraction = ''] = text.split('.')
  return `${seconds}.${fraction.padEnd(9, '0')}`
}

/** Every entry of an uncompressed tar (ustar, PAX, GNU long names), in the tar's order. */
export async function readTar(file: string): Promise<TarEntry[]> {
  const handle = await open(file, 'r')
  let position = 0
  const read = async (length: number): Promise<Buffer> => {
    const buffer = Buffer.alloc(length)
    let got = 0
    while (got < length) {
      const {bytesRead} = await handle.read(buffer, got, length - got, position + got)
      if (bytesRead === 0) break
      got += bytesRead
    }
    position += length
    return buffer.subarray(0, got)
  }
  /** Reads `size` bytes of data and the padding after them, feeding them to `sink` in chunks. */
  const readData = async (size: number, sink: (chunk: Buffer) => void): Promise<void> => {
    let left = size
    while (left > 0) {
      const chunk = await read(Math.min(left, 1 << 20))
      if (chunk.length === 0) throw new Error(`${file}: truncated tar (data ends early)`)
      sink(chunk)
      left -= chunk.length
    }
    position += (BLOCK - (size % BLOCK)) % BLOCK
  }
  const readAll = async (size: number): Promise<Buffer> => {
    const chunks: Buffer[] = []
    await readData(size, (chunk) => chunks.push(chunk))
    return Buffer.concat(chunks)
  }

  const entries: TarEntry[] = []
  const global = new Map<string, string>()
  let pax = new Map<string, string>()
  let longName: string | undefined
  let longLink: string | undefined
  try {
    for (;;) {
      const header = await read(BLOCK)
      if (header.length < BLOCK || header.every((byte) => byte === 0)) break
      const checksum = numeric(header, 148, 8)
      let sum = 0
      for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (header[i] ?? 0)
      if (sum !== checksum) throw new Error(`${file}: bad tar header checksum at byte ${position - BLOCK}`)
      const typeflag = String.fromCharCode(header[156] ?? 0)
      const size = numeric(header, 124, 12)
      if (typeflag === 'x' || typeflag === 'g') {
        const records = paxRecords(await readAll(size))
        if (typeflag === 'g') for (const [key, value] of records) global.set(key, value)
        else pax = records
        continue
      }
      if (typeflag === 'L' || typeflag === 'K') {
        const data = await readAll(size)
        const end = data.indexOf(0)
        const text = data.subarray(0, end === -1 ? data.length : end).toString('latin1')
        if (typeflag === 'L') longName = text
        else longLink = text
        continue
      }
      const records = new Map([...global, ...pax])
      const ustar = header.subarray(257, 263).toString('latin1') === 'ustar\0'
      const prefix = ustar ? field(header, 345, 155) : ''
      const headerName = prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100)
      const name = records.get('path') ?? longName ?? headerName
      const rawLink = records.get('linkpath') ?? longLink ?? field(header, 157, 100)
      const dataSize = records.has('size') ? Number(records.get('size')) : size
      const type = TYPES[typeflag] ?? 'other'
      const xattrs: Record<string, string> = {}
      for (const [key, value] of records) if (key.startsWith('SCHILY.xattr.')) xattrs[key.slice('SCHILY.xattr.'.length)] = value
      const entry: TarEntry = {
        path: normalizeTarPath(name),
        type,
        typeflag,
        mode: numeric(header, 100, 8) & 0o7777,
        uid: records.has('uid') ? Number(records.get('uid')) : numeric(header, 108, 8),
        gid: records.has('gid') ? Number(records.get('gid')) : numeric(header, 116, 8),
        uname: records.get('uname') ?? field(header, 265, 32),
        gname: records.get('gname') ?? field(header, 297, 32),
        size: HEADER_ONLY.has(typeflag) ? 0 : dataSize,
        mtime: exactTime(records.get('mtime') ?? String(numeric(header, 136, 12))),
        devmajor: numeric(header, 329, 8),
        devminor: numeric(header, 337, 8),
        xattrs,
      }
      if (type === 'symlink') entry.linkname = rawLink
      if (type === 'hardlink') entry.linkname = normalizeTarPath(rawLink)
      if (!HEADER_ONLY.has(typeflag)) {
        const hash = createHash('sha256')
        await readData(dataSize, (chunk) => hash.update(chunk))
        if (type === 'file') entry.sha256 = hash.digest('hex')
      }
      entries.push(entry)
      pax = new Map()
      longName = undefined
      longLink = undefined
    }
  } finally {
    await handle.close()
  }
  return entries
}

/** A raw (latin1) name as a reader sees it: JSON-quoted UTF-8 when it is UTF-8, else with \xNN escapes. */
export function showName(raw: string): string {
  const bytes = Buffer.from(raw, 'latin1')
  try {
    return JSON.stringify(new TextDecoder('utf-8', {fatal: true}).decode(bytes))
  } catch {
    return `"${[...bytes].map((byte) => (byte >= 0x20 && byte < 0x7f && byte !== 0x22 && byte !== 0x5c ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`)).join('')}"`
  }
}

export interface CompareOptions {
  /** Paths left out of the comparison (raw latin1 names), e.g. a file a test wrote on purpose. */
  ignore?: (path: string) => boolean
  /** When each build started (seconds since the epoch): an mtime at or after it in both images is the build's own. */
  started?: {plain: number; ours: number}
}

/** Each path's hard-link group: every path sharing its inode, sorted (itself alone when it has no links). */
function linkGroups(entries: Map<string, TarEntry>): Map<string, string[]> {
  const root = (entry: TarEntry): string => {
    let at = entry
    for (let hops = 0; at.type === 'hardlink' && at.linkname !== undefined && hops < 64; hops++) {
      const next = entries.get(at.linkname)
      if (!next) return at.linkname
      at = next
    }
    return at.path
  }
  const members = new Map<string, string[]>()
  for (const entry of entries.values()) {
    const key = root(entry)
    members.set(key, [...(members.get(key) ?? []), entry.path])
  }
  const groups = new Map<string, string[]>()
  for (const list of members.values()) for (const member of list) groups.set(member, [...list].sort())
  return groups
}

/** The entry whose data a hard link shares (the entry itself otherwise). */
function resolved(entry: TarEntry, entries: Map<string, TarEntry>): TarEntry {
  let at = entry
  for (let hops = 0; at.type === 'hardlink' && at.linkname !== undefined && hops < 64; hops++) {
    const next = entries.get(at.linkname)
    if (!next) break
    at = next
  }
  return at
}

const octal = (mode: number): string => mode.toString(8).padStart(4, '0')

/** Whether dbuild's mode `ours` is allowed where plain buildx made `plain` (see ALLOWED_DIFFERENCES). */
function modeAllowed(type: TarEntryType, plain: number, ours: number): boolean {
  if (plain === ours) return true
  if (type !== 'file' && type !== 'dir' && type !== 'fifo') return false
  return ours === modeFromDisk(type === 'dir', plain)
}

/** Whether both mtimes are the builds' own: at or after each build's start (tar mtimes are whole seconds, rounded down). */
function setByBuild(plain: string, ours: string, started?: {plain: number; ours: number}): boolean {
  if (!started) return false
  return Number.parseInt(plain, 10) >= Math.floor(started.plain) && Number.parseInt(ours, 10) >= Math.floor(started.ours)
}

/**
 * The differences between plain buildx's image and dbuild's, in words; empty when they are equal up
 * to ALLOWED_DIFFERENCES.
 */
export function compareImages(plain: TarEntry[], ours: TarEntry[], options: CompareOptions = {}): string[] {
  const ignore = options.ignore ?? (() => false)
  const plainByPath = new Map(plain.map((entry) => [entry.path, entry]))
  const oursByPath = new Map(ours.map((entry) => [entry.path, entry]))
  const plainGroups = linkGroups(plainByPath)
  const oursGroups = linkGroups(oursByPath)
  const differences: string[] = []
  const paths = [...new Set([...plainByPath.keys(), ...oursByPath.keys()])].sort()
  for (const at of paths) {
    if (ignore(at)) continue
    const name = showName(at)
    const plainEntry = plainByPath.get(at)
    const oursEntry = oursByPath.get(at)
    if (!oursEntry) {
      if (plainEntry && plainEntry.type !== 'char' && plainEntry.type !== 'block')
        differences.push(`${name}: ${plainEntry.type} in plain buildx's image, missing from dbuild's`)
      continue
    }
    if (!plainEntry) {
      differences.push(`${name}: ${oursEntry.type} in dbuild's image, not in plain buildx's`)
      continue
    }
    const p = resolved(plainEntry, plainByPath)
    const o = resolved(oursEntry, oursByPath)
    const differ = (what: string, plainValue: unknown, oursValue: unknown): void => {
      differences.push(`${name}: ${what} ${String(plainValue)} in plain buildx's image, ${String(oursValue)} in dbuild's`)
    }
    const plainGroup = (plainGroups.get(at) ?? [at]).map(showName).join(', ')
    const oursGroup = (oursGroups.get(at) ?? [at]).map(showName).join(', ')
    if (plainGroup !== oursGroup) differ('hard links', `[${plainGroup}]`, `[${oursGroup}]`)
    if (p.type !== o.type) {
      differ('type', p.type, o.type)
      continue
    }
    if (p.type === 'file') {
      if (p.size !== o.size) differ('size', p.size, o.size)
      else if (p.sha256 !== o.sha256) differ('content (sha256)', p.sha256, o.sha256)
    }
    if (p.type === 'symlink' && p.linkname !== o.linkname) differ('link target', showName(p.linkname ?? ''), showName(o.linkname ?? ''))
    if (!modeAllowed(p.type, p.mode, o.mode)) differ('mode', octal(p.mode), octal(o.mode))
    if (p.uid !== o.uid || p.gid !== o.gid) differ('owner', `${p.uid}:${p.gid}`, `${o.uid}:${o.gid}`)
    if (p.mtime !== o.mtime && !setByBuild(p.mtime, o.mtime, options.started)) differ('mtime', p.mtime, o.mtime)
    if ((p.type === 'char' || p.type === 'block') && (p.devmajor !== o.devmajor || p.devminor !== o.devminor)) {
      differ('device', `${p.devmajor},${p.devminor}`, `${o.devmajor},${o.devminor}`)
    }
    for (const key of new Set([...Object.keys(p.xattrs), ...Object.keys(o.xattrs)])) {
      const plainValue = p.xattrs[key]
      const oursValue = o.xattrs[key]
      if (plainValue === oursValue || (oursValue === undefined && key.startsWith('user.'))) continue
      differ(
        `xattr ${showName(key)}`,
        plainValue === undefined ? 'absent' : showName(plainValue),
        oursValue === undefined ? 'absent' : showName(oursValue),
      )
    }
  }
  return differences
}

export interface BuildResult extends BuildxRun {
  /** The image's entries; empty when the build failed. */
  entries: TarEntry[]
  /** When the build started, seconds since the epoch. */
  started: number
}

export interface BuildBothOptions {
  /** The build context. */
  dir: string
  /** buildx flags before the context (`--target`, `--build-arg`, `--build-context`, …); --network=host and the output are added. */
  args?: string[]
  /** Extra environment for both builds. */
  env?: NodeJS.ProcessEnv
  /** The Dockerfile (-f), when not DIR/Dockerfile. */
  dockerfile?: string
  /** dbuild's DBUILD_CACHE_DIR; a fresh one (removed after) when not given. Pass one to build twice on one stage. */
  cacheDir?: string
  /** The working directory of both builds (default: the context). */
  cwd?: string
  /** Passed to compareImages. */
  compare?: CompareOptions
  /**
   * Share buildx's client state (DOCKER_CONFIG/buildx) with every other build. By default each builder
   * gets its own under the work directory: BuildKit keeps one copy of "the context" per buildx client
   * and syncs each build's context into it, and a directory whose children changed keeps the time of
   * an earlier sync, so plain buildx's directory mtimes depend on what that client built before.
   */
  shareClient?: boolean
  /** Let both builds use the daemon's build cache. By default both run with --no-cache: a cache hit would hand dbuild plain's layer. */
  cache?: boolean
}

export interface BothResults {
  plain: BuildResult
  ours: BuildResult
  /** compareImages' differences, or why the builds cannot be compared (dbuild failed where plain succeeded). */
  differences: string[]
}

const BUILD_TIMEOUT_MS = 10 * 60_000

/** The last lines of a build's output, for a difference message. */
function tail(output: string, lines = 15): string {
  return output.trimEnd().split('\n').slice(-lines).join('\n')
}

export type Builder = 'dbuild' | 'plain'

/**
 * A DOCKER_CONFIG for one builder below `work`, made once: the daemon's (or ~/.docker's) entries
 * linked, except buildx's client state, which buildx makes afresh (a new client, a new copy of the context).
 */
function ownClientConfig(env: NodeJS.ProcessEnv, work: string, builder: Builder): string {
  const config = path.join(work, `docker-config-${builder}`)
  if (existsSync(config)) return config
  const source = env.DOCKER_CONFIG ?? path.join(os.homedir(), '.docker')
  mkdirSync(config, {recursive: true})
  if (existsSync(source))
    for (const name of readdirSync(source)) if (name !== 'buildx') symlinkSync(path.join(source, name), path.join(config, name))
  return config
}

/**
 * One build of `options.dir` to a tar, by plain buildx or by dbuild, read back. `work` is a
 * directory for the tar and the builder's own buildx client state (removed by the caller); dbuild's
 * cache is `options.cacheDir` or `work/cache`. Builds of one builder in one `work` share a client.
 */
export async function buildTar(builder: Builder, daemon: Daemon, options: BuildBothOptions, work: string): Promise<BuildResult> {
  const flags = [...(options.dockerfile ? ['-f', options.dockerfile] : []), ...(options.args ?? [])]
  const dest = path.join(work, `${builder}-${Math.random().toString(36).slice(2, 10)}.tar`)
  const [command, argv, extra] =
    builder === 'plain'
      ? ['docker', ['buildx', 'build'], {}]
      : [process.execPath, [path.join(ROOT, 'bin', 'run.js'), 'build'], {DBUILD_CACHE_DIR: options.cacheDir ?? path.join(work, 'cache')}]
  const env: NodeJS.ProcessEnv = {...daemon.env, ...options.env, ...extra}
  if (!options.shareClient) env.DOCKER_CONFIG = ownClientConfig(env, work, builder)
  const started = Date.now() / 1000
  const result = await execa(
    command,
    [
      ...argv,
      ...(options.cache ? [] : ['--no-cache']),
      '--network=host',
      '--progress=plain',
      '--output',
      `type=tar,dest=${dest}`,
      ...flags,
      options.dir,
    ],
    {
      cwd: options.cwd ?? options.dir,
      env,
      extendEnv: false,
      reject: false,
      all: true,
      timeout: BUILD_TIMEOUT_MS,
    },
  )
  const exitCode = result.exitCode ?? 1
  const entries = exitCode === 0 ? await readTar(dest) : []
  rmSync(dest, {force: true})
  return {exitCode, output: result.all ?? '', entries, started}
}

/** compareImages for two finished builds: dbuild must succeed where plain buildx did. */
export function compareBuilds(plain: BuildResult, ours: BuildResult, compare?: CompareOptions): string[] {
  if (plain.exitCode !== 0) return []
  if (ours.exitCode !== 0) return [`plain buildx succeeded, dbuild failed (exit ${ours.exitCode}):\n${tail(ours.output)}`]
  return compareImages(plain.entries, ours.entries, {started: {plain: plain.started, ours: ours.started}, ...compare})
}

/**
 * Builds `dir` with plain `docker buildx build --output type=tar` and with dbuild on `daemon`, and
 * compares the images. When plain buildx succeeds, dbuild must too (a difference otherwise); when
 * plain buildx fails, both exit codes are in the results and there is nothing to compare.
 */
export async function buildBoth(daemon: Daemon, options: BuildBothOptions): Promise<BothResults> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'dbuild-oracle-'))
  try {
    const plain = await buildTar('plain', daemon, options, work)
    const ours = await buildTar('dbuild', daemon, options, work)
    return {plain, ours, differences: compareBuilds(plain, ours, options.compare)}
  } finally {
    rmSync(work, {recursive: true, force: true})
  }
}
