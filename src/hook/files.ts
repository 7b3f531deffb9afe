/**
 * File primitives for the installers: every write maps a permission or space error to exit 73 with
 * the path (a read-only hooks directory is a user's setup, not a dbuild bug), and guarded blocks let
 * dbuild add its lines to a file a user or a hook manager owns and take exactly those lines out again.
 */
import {chmodSync, lstatSync, mkdirSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {DbuildError, ExitCode} from '../exit-codes.js'
import {fingerprint} from './scripts.js'

const NOT_WRITABLE = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT'])

/** Runs a write to `file`; a permission, read-only or full-disk error becomes exit 73 naming the path. */
export function writing<T>(file: string, write: () => T): T {
  try {
    return write()
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === undefined || !NOT_WRITABLE.has(code)) throw error
    const dir = path.dirname(file)
    throw new DbuildError(
      `${file}: cannot write (${code}${code === 'EROFS' ? ': read-only file system' : code === 'ENOSPC' || code === 'EDQUOT' ? ': no space left' : ''})`,
      ExitCode.CANT_CREATE,
      [
        code === 'ENOSPC' || code === 'EDQUOT'
          ? 'Free some space and run the command again.'
          : `Make ${dir} writable by you (ls -ld ${JSON.stringify(dir)}), or point core.hooksPath at a directory you can write, then run the command again.`,
      ],
    )
  }
}

export function present(file: string): boolean {
  try {
    lstatSync(file)
    return true
  } catch {
    return false
  }
}

/** A regular file's text, or undefined (missing, a directory, unreadable). */
export function readText(file: string): string | undefined {
  try {
    return lstatSync(file).isFile() ? readFileSync(file, 'utf8') : undefined
  } catch {
    return undefined
  }
}

export function writeText(file: string, text: string, mode?: number): void {
  writing(file, () => {
    mkdirSync(path.dirname(file), {recursive: true})
    writeFileSync(file, text)
    if (mode !== undefined) chmodSync(file, mode) // whatever the umask
  })
}

/** Rewrites `file` by `edit` (undefined in: no file; undefined out: remove it); unchanged text is not written. */
export function editText(file: string, edit: (text: string | undefined) => string | undefined, mode?: number): void {
  const text = readText(file)
  const next = edit(text)
  if (next === text) return
  if (next === undefined) removeFile(file)
  else writeText(file, next, text === undefined ? mode : undefined)
}

export function moveFile(from: string, to: string): void {
  writing(to, () => renameSync(from, to))
}

export function removeFile(file: string): void {
  writing(file, () => rmSync(file, {force: true}))
}

/** Removes `dir` and its parents up to (not including) `stop` while they are empty. */
export function removeEmptyDirs(dir: string, stop: string): void {
  for (let at = dir; at !== stop && at.startsWith(stop + path.sep); at = path.dirname(at)) {
    try {
      rmdirSync(at)
    } catch {
      return // not empty, or gone
    }
  }
}

const BEGIN = '# >>> dbuild-hook'
const END = '# <<< dbuild-hook'

/** Whether dbuild created the file that holds the block, or added a newline before it. */
type BlockFlag = 'new-file' | 'newline' | ''

export interface Block {
  /** Declared fingerprint; current when it equals fingerprint(body). */
  version: string
  current: boolean
  flag: BlockFlag
  /** The block's character range in the text (whole lines). */
  start: number
  end: number
}

/**
 * The text of a guarded block: a begin line with the fingerprint of `body`, the body, an end line,
 * each line after `indent` (a block inside a YAML section). `#` starts a comment in both sh and YAML,
 * the two kinds of file that hold blocks.
 */
export function blockText(label: string, body: string, flag: BlockFlag, indent = ''): string {
  const lead = flag === 'newline' ? '\n' : ''
  return (
    `${lead}${indent}${BEGIN} ${fingerprint(body)} ${label}${flag ? ` ${flag}` : ''}: added by \`dbuild ` +
    `hook install\`, removed by \`dbuild hook ` +
    `uninstall\`\n${body}${body.endsWith('\n') ? '' : '\n'}${indent}${END}\n`
  )
}

/** Every block in `text`, in order. */
export function findBlocks(text: string): Block[] {
  const blocks: Block[] = []
  const begin = new RegExp(`^([ \\t]*)${BEGIN} ([0-9a-f]{12}|v\\d+) \\S+(?: (new-file|newline))?:.*\\n`, 'gm')
  for (let match = begin.exec(text); match; match = begin.exec(text)) {
    const indent = match[1] ?? ''
    const endAt = text.indexOf(`\n${indent}${END}\n`, match.index + match[0].length - 1)
    if (endAt === -1) break
    const flag = (match[3] ?? '') as BlockFlag
    const body = text.slice(match.index + match[0].length, endAt + 1)
    const start = flag === 'newline' && text[match.index - 1] === '\n' ? match.index - 1 : match.index
    const end = endAt + 1 + indent.length + END.length + 1
    blocks.push({version: match[2] ?? '', current: match[2] === fingerprint(body), flag, start, end})
    begin.lastIndex = end
  }
  return blocks
}

/** The first block in `text`, if any. */
export function findBlock(text: string): Block | undefined {
  return findBlocks(text)[0]
}

/**
 * `text` (undefined: no file) with the block for `body` in place of any earlier one. Where it goes:
 * `at: 'top'` after a `#!` line (so it runs before anything in the file can exit), `at: 'end'` last.
 */
export function withBlock(text: string | undefined, label: string, body: string, at: 'end' | 'top'): string {
  if (text === undefined) return blockText(label, body, 'new-file')
  const old = findBlock(text)
  if (old) return text.slice(0, old.start) + blockText(label, body, old.flag) + text.slice(old.end)
  if (at === 'end') return text === '' || text.endsWith('\n') ? text + blockText(label, body, '') : text + blockText(label, body, 'newline')
  const shebang = /^#!.*\n/.exec(text)
  const split = shebang ? shebang[0].length : 0
  return text.slice(0, split) + blockText(label, body, '') + text.slice(split)
}

/** `text` without dbuild's blocks, byte for byte as it was; undefined when dbuild created the file. */
export function withoutBlock(text: string): string | undefined {
  const blocks = findBlocks(text)
  let rest = text
  for (const block of [...blocks].reverse()) rest = rest.slice(0, block.start) + rest.slice(block.end)
  return blocks.some((block) => block.flag === 'new-file') && rest === '' ? undefined : rest
}
