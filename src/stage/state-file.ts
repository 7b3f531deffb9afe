/** The state file one stage hands to the next, kept beside the stage (see listingsPath in layout.ts). */
import {closeSync, openSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync} from 'node:fs'

import {writeAll} from '../write-atomic.js'
import {parseRecordFile} from './path-record.js'
import {type StagedRecord, writeRecord} from './sync.js'
import {type Entry, Listings, type SavedListings} from './walk.js'

/**
 * 4: times in nanoseconds, and a file's ctime and inode in the record; 3 had a header line, then the
 * record's lines (2 was one JSON document). An older state is simply not read.
 */
const LISTINGS_VERSION = 4

/** The state file's first line; the record's lines follow it (see PathRecord). */
interface SavedState {
  version: number
  context: string
  dir: string
  source: SavedListings
  stage: SavedListings
  /** The lines after this header are what the sync that saved this state left in the stage. */
  staged: boolean
}

/**
 * The state one stage hands to the next, kept beside the stage, never in it: directory listings
 * (see Listings) and the record of what it holds (see StagedRecord), which vouches for unchanged
 * files without a look at the stage only where dbuild alone writes it (not --out).
 */
export class ListingsFile {
  readonly source: Listings
  readonly stage: Listings
  /** The record of the stage as the last complete sync left it. */
  readonly record: StagedRecord | undefined
  /** A time of the file system's clock taken before the walk: files changed since are left out of records (see isRacy). */
  readonly settledBefore: bigint
  private readonly temp: string
  private readonly saved: {state: SavedState; record: StagedRecord} | undefined
  /** The stage was not looked at (see keepStage). */
  private stageUnused = false
  /** What the stage holds once a sync has completed; its record is made only if it is saved. */
  private synced: readonly Entry[] | undefined
  private recordChanged = false
  private invalidated = false

  private constructor(
    private readonly file: string,
    private readonly context: string,
    private readonly dir: string,
    probe: {dev: bigint; mtimeNs: bigint},
    /** The record may vouch for files without a look at the stage: only dbuild writes it. */
    readonly vouches: boolean,
  ) {
    this.temp = ListingsFile.tempOf(file)
    this.saved = ListingsFile.read(file, context, dir)
    this.source = new Listings(this.saved?.state.source ?? {}, probe, true)
    this.stage = new Listings(this.saved?.state.stage ?? {}, probe, false)
    this.record = this.saved?.state.staged ? this.saved.record : undefined
    this.settledBefore = probe.mtimeNs
  }

  /** The stage was left alone this time: its listings and record are still those saved, so keep them. */
  keepStage(): void {
    this.stageUnused = true
  }

  /** The stage is about to change: the saved state no longer describes it, so it goes now, not at close. */
  invalidate(): void {
    if (this.invalidated) return
    this.invalidated = true
    rmSync(this.file, {force: true})
  }

  /** A sync completed: `sources` is what the stage holds now; `unrecorded` files were not vouched for by the old record. */
  completed(sources: readonly Entry[], unrecorded: number): void {
    this.synced = sources
    this.recordChanged = unrecorded > 0 || this.record === undefined
  }

  /**
   * Opens the state of the stage `dir`; undefined (list everything) when the probe cannot be written.
   * `vouches` only for a stage no one but dbuild writes.
   */
  static open(file: string, context: string, dir: string, vouches: boolean): ListingsFile | undefined {
    const temp = ListingsFile.tempOf(file)
    try {
      writeFileSync(temp, '') // the probe: stamped by the file system's clock before any listing is read
      return new ListingsFile(file, context, dir, statSync(temp, {bigint: true}), vouches)
    } catch {
      return undefined
    }
  }

  /**
   * The probe and the next state are written here. A ListingsFile is only opened under the stage
   * lock, so one name serves every process: one killed mid-stage leaves this file behind, and the
   * next stage reuses and removes it instead of leaving one per process.
   */
  private static tempOf(file: string): string {
    return `${file}.tmp`
  }

  private static read(file: string, context: string, dir: string): {state: SavedState; record: StagedRecord} | undefined {
    let data: Buffer
    try {
      data = readFileSync(file)
    } catch {
      return undefined // none yet, or unreadable: list everything
    }
    const saved = parseRecordFile(data)
    const state = saved?.header as SavedState | undefined
    return saved && state?.version === LISTINGS_VERSION && state.context === context && state.dir === dir
      ? {state, record: saved.record}
      : undefined
  }

  /** Keeps the state for the next stage when any of it is new, and removes the probe. */
  close(succeeded: boolean): void {
    try {
      if (succeeded && (this.source.reads + this.stage.reads > 0 || this.recordChanged || this.invalidated)) {
        const stage = this.stageUnused ? (this.saved?.state.stage ?? {}) : this.stage.next
        const staged = this.stageUnused ? this.record !== undefined : this.synced !== undefined
        const state: SavedState = {version: LISTINGS_VERSION, context: this.context, dir: this.dir, source: this.source.next, stage, staged}
        // the probe is reused as the temp file (see tempOf); the record's lines go straight to it
        const fd = openSync(this.temp, 'w')
        try {
          writeAll(fd, `${JSON.stringify(state)}\n`)
          if (this.stageUnused) {
            if (this.record) writeAll(fd, this.record.lines())
          } else if (this.synced) writeRecord(this.synced, (chunk) => writeAll(fd, chunk), this.settledBefore)
        } finally {
          closeSync(fd)
        }
        renameSync(this.temp, this.file)
      } else unlinkSync(this.temp)
    } catch {
      // only a speed-up is lost: the next stage lists every directory
      rmSync(this.temp, {force: true})
    }
  }
}
