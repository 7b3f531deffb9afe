import {closeSync, openSync, readSync} from 'node:fs'

import type {TreeEntry, TreeEntryType} from './types.js'

const BLOCK = 512

function cString(block: Buffer, start: number, length: number): string {
  const slice = block.subarray(start, start + length)
  const nul = slice.indexOf(0)
  return slice.subarray(0, nul === -1 ? slice.length : nul).toString('utf8')
}

function numeric(block: Buffer, start: number, length: number): number {
  const first = block[start] ?? 0
  if (first & 0x80) {
    // base-256, used by Go's archive/tar for values too large for octal
    let value = 0
    for (let i = start + 1; i < start + length; i++) value = value * 256 + (block[i] ?? 0)
    return value
  }
  const text = cString(block, start, length).trim()
  return text ? Number.parseInt(text, 8) : 0
}

function paxRecords(data: Buffer): Record<string, string> {
  const records: Record<string, string> = {}
  let at = 0
  while (at < data.length) {
    const space = data.indexOf(0x20, at)
    if (space === -1) break
    const length = Number.parseInt(data.subarray(at, space).toString('ascii'), 10)
    if (!length) break
    const record = data.subarray(space + 1, at + length - 1).toString('utf8')
    const eq = record.indexOf('=')
    if (eq > 0) records[record.slice(0, eq)] = record.slice(eq + 1)
    at += length
  }
  return records
}

const TYPES: Record<string, TreeEntryType> = {'0': 'file', '\0': 'file', '7': 'file', '1': 'file', '2': 'symlink', '5': 'dir'}

function normalize(name: string): string {
  return name.replace(/^(\.\/|\/)+/, '').replace(/\/+$/, '')
}

/** Reads only the headers of a tar file, seeking past file data. */
export function readTarHeaders(file: string): TreeEntry[] {
  const fd = openSync(file, 'r')
  const entries: TreeEntry[] = []
  try {
    const header = Buffer.alloc(BLOCK)
    let position = 0
    let pending: Record<string, string> = {}
    for (;;) {
      if (readSync(fd, header, 0, BLOCK, position) < BLOCK || header.every((byte) => byte === 0)) break
      const typeflag = String.fromCharCode(header[156] ?? 0)
      const size = numeric(header, 124, 12)
      const dataStart = position + BLOCK
      position = dataStart + Math.ceil(size / BLOCK) * BLOCK
      if (typeflag === 'x' || typeflag === 'L' || typeflag === 'K') {
        const data = Buffer.alloc(size)
        readSync(fd, data, 0, size, dataStart)
        if (typeflag === 'x') pending = {...pending, ...paxRecords(data)}
        else pending[typeflag === 'L' ? 'path' : 'linkpath'] = cString(data, 0, size)
        continue
      }
      if (typeflag === 'g') continue
      const prefix = header.subarray(257, 262).toString('ascii') === 'ustar' ? cString(header, 345, 155) : ''
      const name = pending.path ?? (prefix ? `${prefix}/${cString(header, 0, 100)}` : cString(header, 0, 100))
      const path = normalize(name)
      const linkname = pending.linkpath ?? cString(header, 157, 100)
      const type = TYPES[typeflag] ?? 'other'
      if (path) {
        entries.push({
          path,
          type,
          mode: numeric(header, 100, 8) & 0o7777,
          uid: pending.uid ? Number(pending.uid) : numeric(header, 108, 8),
          gid: pending.gid ? Number(pending.gid) : numeric(header, 116, 8),
          ...(type === 'symlink' ? {linkname} : {}),
        })
      }
      pending = {}
    }
  } finally {
    closeSync(fd)
  }
  return entries
}
