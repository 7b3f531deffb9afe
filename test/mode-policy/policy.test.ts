/**
 * The one mode policy: the hook's generated sh and the TypeScript answer agree on a table of modes,
 * and the index rule and the owner-execute rule agree where git wrote the file.
 */
import {chmodSync, lstatSync, mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'
import t from 'tap'

import {fixProgram} from '../../src/hook/scripts.js'
import {CANONICAL_MODES, modeFromDisk, modeFromIndex} from '../../src/mode-policy.js'
import {tempDir} from '../helpers/index.js'

/** Modes a umask, a tool or a user leaves behind, for files and for directories. */
const FILE_MODES = [
  0o600, 0o644, 0o664, 0o666, 0o700, 0o744, 0o755, 0o775, 0o777, 0o4755, 0o2755, 0o1755, 0o6777, 0o4644, 0o444, 0o400, 0o100, 0o070, 0o000,
]
const DIR_MODES = [0o700, 0o755, 0o775, 0o777, 0o2775, 0o2755, 0o1777, 0o3775, 0o4755, 0o711, 0o500]

const octal = (mode: number): string => mode.toString(8).padStart(4, '0')

t.test("the hook's generated find and the TypeScript policy give the same mode for every case in the table", async (t) => {
  const root = tempDir(t, 'dbuild-mode-policy-')
  const cases: Array<{rel: string; isDir: boolean; mode: number}> = []
  for (const mode of FILE_MODES) cases.push({rel: `file-${octal(mode)}`, isDir: false, mode})
  for (const mode of DIR_MODES) cases.push({rel: `dir-${octal(mode)}`, isDir: true, mode})
  for (const {rel, isDir, mode} of cases) {
    const abs = path.join(root, rel)
    if (isDir) mkdirSync(abs)
    else writeFileSync(abs, rel)
    chmodSync(abs, mode)
    t.equal(lstatSync(abs).mode & 0o7777, mode, `${rel} starts as ${octal(mode)}`)
  }
  const result = await execa('sh', ['-c', fixProgram(), 'sh', ...cases.map((c) => `./${c.rel}`)], {
    cwd: root,
    reject: false,
    stripFinalNewline: false,
  })
  t.equal(result.exitCode, 0, result.stderr)
  const printed = new Set(result.stdout.split('\0').filter(Boolean))
  for (const {rel, isDir, mode} of cases) {
    const want = modeFromDisk(isDir, mode)
    const got = lstatSync(path.join(root, rel)).mode & 0o7777
    t.equal(octal(got), octal(want), `${rel}: sh gives ${octal(got)}, TypeScript ${octal(want)}`)
    t.equal(printed.has(`./${rel}`), !isDir && (mode & 0o7777) !== want, `${rel}: printed exactly when a file changed`)
  }
  const again = await execa('sh', ['-c', fixProgram(), 'sh', ...cases.map((c) => `./${c.rel}`)], {cwd: root, stripFinalNewline: false})
  t.equal(again.stdout, '', 'a second run changes nothing')
})

t.test('the index rule and the owner-execute rule agree on what git writes under any umask', async (t) => {
  for (const umask of [0o002, 0o022, 0o077, 0o027, 0o007]) {
    t.equal(modeFromDisk(false, 0o777 & ~umask), modeFromIndex('100755'), `100755 under umask ${octal(umask)}`)
    t.equal(modeFromDisk(false, 0o666 & ~umask), modeFromIndex('100644'), `100644 under umask ${octal(umask)}`)
    t.equal(modeFromDisk(true, 0o777 & ~umask), CANONICAL_MODES.dir, `directories under umask ${octal(umask)}`)
  }
  t.same(CANONICAL_MODES, {dir: 0o755, executable: 0o755, file: 0o644})
})
