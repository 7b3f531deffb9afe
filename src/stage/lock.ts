/**
 * An exclusive lock file next to a stage directory, so two dbuild processes staging one context
 * take turns instead of writing into each other's copy.
 *
 * The lock is created atomically with its owner already in it (write a private file, then link it
 * into place). Its holder refreshes the lock's mtime while it holds it (a heartbeat), and a lock is
 * taken over when its holder is provably gone: at once when it is a process of this host and pid
 * namespace that no longer exists; otherwise (a holder on another host, such as a CI container
 * sharing the cache volume, or an empty or garbled lock) once it has not been refreshed for
 * STALE_MS.
 */
import {linkSync, lstatSync, readFileSync, readlinkSync, renameSync, unlinkSync, utimesSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {DbuildError, ExitCode} from '../exit-codes.js'
import {processIsGone, removeAbandoned} from '../write-atomic.js'
import {StageUnwritable} from './sync.js'

interface Owner {
  pid: number
  host: string
  /** The pid namespace (`pid:[inode]`): containers of one host name may each have their own pids. */
  pidns?: string
}

/** How often a holder refreshes its lock's mtime. */
const HEARTBEAT_MS = 5_000
/**
 * A lock not refreshed for this long is stale. Far above the heartbeat: the heartbeat is a timer,
 * and the walk and the digest run synchronously for a few seconds on a large context.
 */
const STALE_MS = 60_000

function pidNamespace(): string | undefined {
  try {
    return readlinkSync('/proc/self/ns/pid')
  } catch {
    return undefined
  }
}

const ME: Owner = (() => {
  const pidns = pidNamespace()
  return {pid: process.pid, host: os.hostname(), ...(pidns ? {pidns} : {})}
})()

/** A process this one can look up: same host name and pid namespace. */
function isLocal(owner: Owner): boolean {
  return owner.host === ME.host && owner.pidns === ME.pidns
}

function ownerIsGone(owner: Owner): boolean {
  return isLocal(owner) && processIsGone(owner.pid)
}

function readOwner(lockFile: string): Owner | undefined {
  try {
    const owner = JSON.parse(readFileSync(lockFile, 'utf8')) as Partial<Owner> | null
    return typeof owner?.pid === 'number' && typeof owner.host === 'string' ? (owner as Owner) : undefined
  } catch {
    return undefined // gone meanwhile, empty or garbled
  }
}

/** The lock cannot even be attempted: its directory cannot be written (read-only or full cache). */
export class LockUnavailable extends StageUnwritable {}

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
  /** Give up after this long (ms) while a live holder keeps the lock. */
  timeout?: number
  /** Called once when the lock is busy, e.g. to tell the user what we are waiting for. */
  onWait?: (owner: Owner | undefined) => void
  /** Called when a stale lock is taken over, with what was found and why it was stale. */
  onTakeOver?: (message: string) => void
  /** A lock not refreshed for this long (ms) is stale; STALE_MS by default. */
  staleAfter?: number
  /** How often (ms) the holder refreshes the lock; HEARTBEAT_MS by default. */
  heartbeat?: number
}

/** Why the lock (lstat-ed as `stats`, holding `owner`) is stale, or undefined while its holder may be alive. */
function staleness(owner: Owner | undefined, ageMs: number, staleAfter: number): string | undefined {
  const holder = owner ? `dbuild process ${owner.pid} on ${owner.host}` : 'an empty or unreadable lock'
  if (owner && ownerIsGone(owner)) return `${holder} is gone`
  if (ageMs > staleAfter) return `${holder} has not refreshed it for ${Math.round(ageMs / 1000)}s`
  return undefined
}

/**
 * Moves a stale lock aside and removes it; false when the lock found there meanwhile was another
 * one (a waiter that took it over first), which is put back.
 */
function removeStale(lockFile: string, ino: bigint): boolean {
  const aside = `${lockFile}.stale.${process.pid}`
  try {
    renameSync(lockFile, aside)
  } catch {
    return false // another waiter took it over first
  }
  const moved = lstatSync(aside, {bigint: true, throwIfNoEntry: false})
  if (moved && moved.ino !== ino) {
    try {
      linkSync(aside, lockFile)
    } catch {
      // a third process holds it now
    }
    unlinkSync(aside)
    return false
  }
  unlinkSync(aside)
  return true
}

/** Takes the lock, runs `fn`, and releases the lock however `fn` ends. */
export async function withLock<T>(lockFile: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const timeout = options.timeout ?? 10 * 60_000
  const staleAfter = options.staleAfter ?? STALE_MS
  const mine = `${lockFile}.${process.pid}.${Math.random().toString(36).slice(2)}`
  try {
    writeFileSync(mine, JSON.stringify(ME))
  } catch (error) {
    throw new LockUnavailable(`${lockFile}: cannot create the stage lock (${(error as NodeJS.ErrnoException).code})`)
  }
  const started = Date.now()
  let told = false
  let held: bigint
  try {
    for (;;) {
      try {
        // fresh when linked: a lock that took long to get must not look stale the moment it is held
        const now = new Date()
        utimesSync(mine, now, now)
        linkSync(mine, lockFile)
        held = lstatSync(mine, {bigint: true}).ino
        break
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      }
      const stats = lstatSync(lockFile, {bigint: true, throwIfNoEntry: false})
      if (!stats) continue // released meanwhile
      const owner = readOwner(lockFile)
      const stale = staleness(owner, Date.now() - Number(stats.mtimeNs / 1_000_000n), staleAfter)
      if (stale !== undefined) {
        if (removeStale(lockFile, stats.ino)) options.onTakeOver?.(`took over the stage lock ${lockFile}: ${stale}`)
        continue
      }
      if (!told) {
        options.onWait?.(owner)
        told = true
      }
      if (Date.now() - started > timeout) {
        throw new DbuildError(
          `${lockFile}: still locked by process ${owner?.pid ?? '?'} after ${Math.round(timeout / 1000)}s`,
          ExitCode.CANT_CREATE,
          [`If no dbuild is running, remove ${lockFile}.`],
        )
      }
      await sleep(25 + Math.random() * 50)
    }
  } finally {
    unlinkSync(mine)
  }
  // the heartbeat: refresh the lock while it is still ours (a waiter may have judged it stale and taken it over)
  const heartbeat = setInterval(() => {
    try {
      if (lstatSync(lockFile, {bigint: true}).ino === held) {
        const now = new Date()
        utimesSync(lockFile, now, now)
      }
    } catch {
      // gone: nothing left to refresh
    }
  }, options.heartbeat ?? HEARTBEAT_MS)
  heartbeat.unref()
  try {
    sweepAbandoned(lockFile)
    return await fn()
  } finally {
    clearInterval(heartbeat)
    try {
      if (lstatSync(lockFile, {bigint: true}).ino === held) unlinkSync(lockFile)
    } catch {
      // already gone: nothing to release
    }
  }
}
