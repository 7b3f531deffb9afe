#!/usr/bin/env node
// @ts-check
/**
 * `npm run build`: compiles into a fresh directory beside dist/, writes oclif's manifest for it,
 * then swaps both in by rename. dist/ is never deleted first, so a linked `dbuild` keeps working
 * while `npm test` (which builds) runs; the swap leaves it without dist/ for two renames only.
 *
 * The manifest (oclif.manifest.json) lets oclif answer help and find a command without importing
 * every command; without it `dbuild stage --help` loads all of them.
 */
import {execFileSync} from 'node:child_process'
import {existsSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const DIST = path.join(ROOT, 'dist')
const MANIFEST = path.join(ROOT, 'oclif.manifest.json')
/** Builds in progress and builds swapped out: `dist.next-<pid>`, `dist.old-<pid>`. */
const SCRATCH = /^dist\.(next|old)-(\d+)$/

/** @param {number} pid */
function alive(pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return /** @type {NodeJS.ErrnoException} */ (error).code === 'EPERM'
  }
}

/** Leftovers of builds that were interrupted (their process is gone). */
function removeStaleScratch() {
  for (const name of readdirSync(ROOT)) {
    const match = SCRATCH.exec(name)
    if (match && !alive(Number(match[2]))) rmSync(path.join(ROOT, name), {recursive: true, force: true})
  }
}

/**
 * The manifest oclif writes with `oclif manifest`, made from the commands in `outDir` and then
 * pointed at dist/, where they will be once swapped in.
 * @param {string} outDir
 */
async function manifestFor(outDir) {
  const {Plugin} = await import('@oclif/core')
  const pjson = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
  const commandsDir = String(pjson.oclif.commands).replace(/^\.\/dist\//, `./${path.basename(outDir)}/`)
  const plugin = new Plugin({
    root: ROOT,
    pjson: {...pjson, oclif: {...pjson.oclif, commands: commandsDir}},
    isRoot: true,
    type: 'core',
    ignoreManifest: true,
    errorOnManifestCreate: true,
    respectNoCacheDefault: true,
  })
  await plugin.load()
  const manifest = plugin.manifest
  for (const command of Object.values(manifest.commands)) {
    const relative = /** @type {{relativePath?: string[]}} */ (command).relativePath
    if (relative?.[0] === path.basename(outDir)) relative[0] = 'dist'
  }
  return manifest
}

/** Renames `next` onto `target`, moving the old one aside first (rename cannot replace a non-empty directory). */
function swapIn(next, target) {
  const old = path.join(ROOT, `dist.old-${process.pid}`)
  const hadOld = existsSync(target)
  if (hadOld) renameSync(target, old)
  renameSync(next, target)
  if (hadOld) rmSync(old, {recursive: true, force: true})
}

removeStaleScratch()
const next = path.join(ROOT, `dist.next-${process.pid}`)
try {
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', ROOT, '--outDir', next], {stdio: 'inherit'})
  const manifestTemp = `${MANIFEST}.${process.pid}.tmp`
  writeFileSync(manifestTemp, `${JSON.stringify(await manifestFor(next), null, 2)}\n`)
  swapIn(next, DIST)
  renameSync(manifestTemp, MANIFEST)
} catch (error) {
  rmSync(next, {recursive: true, force: true})
  rmSync(`${MANIFEST}.${process.pid}.tmp`, {force: true})
  if (/** @type {{status?: number}} */ (error).status !== undefined) process.exit(1) // tsc printed its errors
  throw error
}
