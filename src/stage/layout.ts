/**
 * Where a stage and everything dbuild keeps beside it live on disk: the per-context stage root in
 * dbuild's cache, or an --out directory with its marker, listings and hashes next to it.
 */
import {createHash} from 'node:crypto'
import {existsSync, readdirSync, realpathSync, rmSync} from 'node:fs'
import path from 'node:path'

import {dbuildCacheDir} from '../cache-dir.js'
import {DbuildError, ExitCode} from '../exit-codes.js'
import {ignoreFileFor} from './ignore.js'

/** Stable per-context directory: `<cache>/stage/<key>`, key = hash(realpath(context) + effective ignore file path). */
export function stageRootFor(context: string, dockerfile?: string, env: NodeJS.ProcessEnv = process.env): string {
  let real: string
  try {
    real = realpathSync(context)
  } catch {
    real = path.resolve(context)
  }
  const key = createHash('sha256')
    .update(`${real}\0${ignoreFileFor(real, dockerfile)}`)
    .digest('hex')
    .slice(0, 20)
  return path.join(dbuildCacheDir(env), 'stage', key)
}

export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child)
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))
}

/** Marker next to an --out directory: sync deletes files, so only ever into a directory dbuild made. */
export function outMarker(dir: string): string {
  return path.join(path.dirname(dir), `.${path.basename(dir)}.dbuild-stage`)
}

export function checkOut(dir: string): void {
  if (!existsSync(dir) || existsSync(outMarker(dir))) return
  let empty: boolean
  try {
    empty = readdirSync(dir).length === 0
  } catch {
    throw new DbuildError(`${dir}: --out is not a directory dbuild can use`, ExitCode.CANT_CREATE)
  }
  if (!empty) {
    throw new DbuildError(
      `${dir}: --out exists, is not empty and was not staged by dbuild; staging would delete its files`,
      ExitCode.CANT_CREATE,
      ['Pass a new or empty directory to --out.'],
    )
  }
}

/** Where the listings of a stage live: beside `--out` (hidden, like its marker), else beside the stage root. */
export function listingsPath(root: string, out: string | undefined): string {
  return out ? path.join(path.dirname(out), `.${path.basename(out)}.dbuild-listings`) : `${root}.listings`
}

/** Where the content hashes behind a stage's digest live: beside its listings (see listingsPath). */
export function hashesPath(root: string, out: string | undefined): string {
  return `${listingsPath(root, out)}.hashes`
}

/** Removes a stage that could not be written, as far as it can be (a read-only one stays as it is). */
export function removeStage(dir: string): void {
  try {
    rmSync(dir, {recursive: true, force: true})
  } catch {
    // read-only: nothing was written there either
  }
}

/** The scratch directory of a stage (see SyncOptions.scratch): beside it, on its file system, never inside it. */
export function scratchPath(root: string, dir: string): string {
  return path.join(root, `.${path.basename(dir)}.scratch`)
}

/**
 * dbuild's own cache directory, relative to the context, when it lies inside it (a CI job's
 * XDG_CACHE_HOME=$PWD/.cache, a build of $HOME): the walk leaves it out, or the stage would copy
 * itself into itself.
 */
export function cacheInside(context: string, env: NodeJS.ProcessEnv | undefined): string | undefined {
  let cache: string
  try {
    cache = realpathSync(dbuildCacheDir(env))
  } catch {
    return undefined
  }
  return cache !== context && isInside(cache, context) ? path.relative(context, cache).split(path.sep).join('/') : undefined
}
