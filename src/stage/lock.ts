/**
 * An exclusive lock file next to a stage directory, so two dbuild processes staging one context
 * take turns instead of writing into each other's copy.
 *
 * The lock is created atomically with its owner already in it (write a private file, then link it
 * into place), and a lock whose process on this host is gone is taken over.
 */
import {linkSync, readFileSync, renameSync, unlinkSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {DbuildError, ExitCode} from '../exit-codes.js'
import {processIsGone, removeAbandoned} from '../write-atomic.js'

interface Owner {
  pid: number
  host: string
}

function ownerIsGone(owner: Owner): boolean {
  return owner.host === os.hostname() && processIsGone(owner.pid)
}

function readOwner(lockFile: string): Owner | undefined {
  try {
    return JSON.parse(readFileSync(lockFile, 'utf8')) as Owner
  } catch {
    return undefined // gone meanwhile, or still being written by its creator
  }
}

/** The lock cannot even be attempted: its directory cannot be written (read-only or full cache). */
export class LockUnavailable extends DbuildError {
  constructor(message: string) {
    super(message, ExitCode.CANT_CREATE, ['Set DBUILD_CACHE_DIR to a writable directory.'])
  }
}

/**
 * Removes the private files (see withLock) of processes on this host that are gone: one killed
 * while it waited for the lock leaves its file behind.
 */
function sweepAbandoned(lockFile: string): void {
  removeAbandoned(path.dirname(lockFile), path.basename(lockFile), /^[a-z0-9]+$/, (file, pid) => {
    const owner = readOwner(file)
    return owner?.pid === pid && ownerIsGone(owner)
  })
}

export interface LockOptions {
  /** Give up after this long (ms). */
  timeout?: number
  /** Called once when the lock is busy, e.g. to tell the user what we are waiting for. */
  onWait?: (owner: Owner | undefined) => void
}

/** Takes the lock, runs `fn`, and releases the lock however `fn` ends. */
export async function withLock<T>(lockFile: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const timeout = options.timeout ?? 10 * 60_000
  const me: Owner = {pid: process.pid, host: os.hostname()}
  const mine = `${lockFile}.${process.pid}.${Math.random().toString(36).slice(2)}`
  try {
    writeFileSync(mine, JSON.stringify(me))
  } catch (error) {
    throw new LockUnavailable(`${lockFile}: cannot create the stage lock (${(error as NodeJS.ErrnoException).code})`)
  }
  const started = Date.now()
  let told = false
  try {
    for (;;) {
      try {
        linkSync(mine, lockFile)
        break
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      }
      const owner = readOwner(lockFile)
      if (owner && ownerIsGone(owner)) {
        // move the stale lock aside atomically so only one waiter removes it
        const stale = `${lockFile}.stale.${process.pid}`
        try {
          renameSync(lockFile, stale)
          unlinkSync(stale)
        } catch {
          // another waiter took it over first
        }
        continue
      }
      if (!told) {
        options.onWait?.(owner)
        told = true
      }
      if (Date.now() - started > timeout) {
        throw new DbuildError(`${lockFile}: still locked by process ${owner?.pid ?? '?'} after ${Math.round(timeout / 1000)}s`, ExitCode.CANT_CREATE, [
          `If no dbuild is running, remove ${lockFile}.`,
        ])
      }
      await sleep(25 + Math.random() * 50)
    }
  } finally {
    unlinkSync(mine)
  }
  try {
    sweepAbandoned(lockFile)
    return await fn()
  } finally {
    try {
      unlinkSync(lockFile)
    } catch {
      // already gone: nothing to release
    }
  }
}
