/**
 * File names as the kernel keeps them: bytes, not text. BuildKit sends a name that is not valid
 * UTF-8 byte for byte, so the stage must too, while everything else in it (paths, the ignore
 * matcher, the saved listings) works on strings.
 *
 * A name is therefore a string from src/surrogate-escape.ts, each byte that is not part of valid
 * UTF-8 kept as a lone surrogate U+DC80..U+DCFF, and it converts back to the exact bytes (fsPath)
 * wherever it reaches the file system.
 */
import {readdirSync, readlinkSync, type Dirent} from 'node:fs'

import {decodeBytes, encodeText, hasEscapedBytes} from '../surrogate-escape.js'

/** The path to hand to `fs`: the string itself, or its exact bytes when it holds bytes that are not UTF-8. */
export function fsPath(name: string): string | Buffer {
  return hasEscapedBytes(name) ? encodeText(name) : name
}

/** A name read as UTF-8 that lost bytes: Node turned each undecodable byte into U+FFFD. */
function mayHaveLostBytes(name: string): boolean {
  return name.includes('\uFFFD')
}

/** readdir with byte-exact names (see decodeBytes). */
export function readNames(dir: string): string[] {
  const names = readdirSync(fsPath(dir))
  if (!names.some(mayHaveLostBytes)) return names
  return readdirSync(fsPath(dir), {encoding: 'buffer'}).map(decodeBytes)
}

/** readdir with types and byte-exact names (see decodeBytes). */
export function readDirents(dir: string): {names: string[]; dirents: Dirent[]} {
  const dirents = readdirSync(fsPath(dir), {withFileTypes: true})
  if (!dirents.some((dirent) => mayHaveLostBytes(dirent.name))) return {names: dirents.map((dirent) => dirent.name), dirents}
  const raw = readdirSync(fsPath(dir), {withFileTypes: true, encoding: 'buffer'})
  return {names: raw.map((dirent) => decodeBytes(dirent.name as unknown as Buffer)), dirents: raw as unknown as Dirent[]}
}

/** readlink with a byte-exact target (see decodeBytes). */
export function readLink(link: string): string {
  const target = readlinkSync(fsPath(link))
  return mayHaveLostBytes(target) ? decodeBytes(readlinkSync(fsPath(link), {encoding: 'buffer'})) : target
}
