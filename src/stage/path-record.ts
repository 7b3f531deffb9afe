/**
 * A record keyed by path, as the stage keeps it between runs (what the stage holds, the content
 * hashes behind the digest): lines `<path as JSON>\t<fields>\n` after a header line, read as the
 * bytes of the file and looked up in place.
 *
 * Why not JSON objects: at 200,000 files a parsed record is 200,000 arrays and keys, tens of MB of
 * heap for data that is read once and compared, and the file's text besides. Here the file's bytes
 * are all there is; a lookup decodes one line. Lookups come in the order the lines were written (a
 * record is written from the same walk, in the same order), so a cursor finds nearly every line
 * where the last one ended; the rest are found by searching ahead, and only a lookup behind the
 * cursor or of a path the record lacks builds an index of the lines.
 *
 * The path is JSON-encoded, so a name holding a tab, a newline or bytes that are not UTF-8 (lone
 * surrogates, see names.ts) is one unambiguous line. Fields hold no tab or newline of their own:
 * numbers, hex, or JSON strings.
 */
export class PathRecord {
  /** Where the next lookup is expected: the `\n` that ends the line found last. */
  private cursor: number
  /** Line starts (each at its leading `\n`) by JSON-encoded path, built on the first lookup the cursor cannot serve. */
  private index: Map<string, number> | undefined
  private count: number | undefined

  /**
   * `data` from `start` on holds the lines, each preceded by a `\n` (the one at `start` ends
   * whatever comes before it: a header line).
   */
  constructor(
    private readonly data: Buffer,
    private readonly start: number,
  ) {
    this.cursor = start
  }

  /** An empty record. */
  static empty(): PathRecord {
    return new PathRecord(Buffer.from('\n'), 0)
  }

  /** The fields recorded for `path`, or undefined. */
  fieldsOf(path: string): string | undefined {
    const key = JSON.stringify(path)
    const at = this.find(key)
    if (at === undefined) return undefined
    const fieldsAt = at + Buffer.byteLength(key) + 2
    let end = this.data.indexOf(0x0a, fieldsAt)
    if (end === -1) end = this.data.length
    this.cursor = end
    return this.data.toString('utf8', fieldsAt, end)
  }

  /** How many paths the record holds. */
  get size(): number {
    if (this.count === undefined) {
      let count = 0
      for (let at = this.data.indexOf(0x0a, this.start + 1); at !== -1; at = this.data.indexOf(0x0a, at + 1)) count++
      this.count = count
    }
    return this.count
  }

  /** The lines as they are kept (for saving a record unchanged). */
  lines(): Buffer {
    return this.data.subarray(this.start + 1)
  }

  private find(key: string): number | undefined {
    const needle = `\n${key}\t`
    const length = Buffer.byteLength(needle)
    if (this.data.toString('utf8', this.cursor, this.cursor + length) === needle) return this.cursor
    if (this.index === undefined) {
      const ahead = this.data.indexOf(needle, this.cursor, 'utf8')
      if (ahead !== -1) return ahead
      this.index = this.buildIndex()
    }
    return this.index.get(key)
  }

  private buildIndex(): Map<string, number> {
    const index = new Map<string, number>()
    for (let at = this.start; at < this.data.length - 1;) {
      const tab = this.data.indexOf(0x09, at)
      const end = this.data.indexOf(0x0a, at + 1)
      if (tab === -1 || (end !== -1 && tab > end)) break // not a record line: the rest is unusable
      index.set(this.data.toString('utf8', at + 1, tab), at)
      if (end === -1) break
      at = end
    }
    return index
  }
}

/**
 * Makes a record's lines and hands them to `sink` in chunks of about 64 KB, so that no line is kept
 * as a string of its own and the whole record is never one string.
 */
export class PathRecordWriter {
  private batch = ''
  /** Paths added. */
  size = 0

  constructor(private readonly sink: (chunk: string) => void) {}

  add(path: string, fields: string): void {
    this.batch += `${JSON.stringify(path)}\t${fields}\n`
    this.size++
    if (this.batch.length > 1 << 16) this.flush()
  }

  /** Hands the last lines to the sink. */
  flush(): void {
    if (this.batch.length > 0) this.sink(this.batch)
    this.batch = ''
  }
}

/**
 * A record file's header (parsed JSON of its first line) and its lines; undefined when the first
 * line is not JSON or has no line after it (a record of an older format, one JSON document).
 */
export function parseRecordFile(data: Buffer): {header: unknown; record: PathRecord} | undefined {
  const end = data.indexOf(0x0a)
  if (end === -1) return undefined
  try {
    return {header: JSON.parse(data.toString('utf8', 0, end)), record: new PathRecord(data, end)}
  } catch {
    return undefined
  }
}
