/**
 * The two Go functions behind a .dockerignore pattern, as BuildKit runs them:
 * - `filepath.Match(pattern, ".")`, which patternmatcher.New calls only for its error: a malformed
 *   pattern (an unclosed `[`, an empty class, a trailing `\`) fails the whole build;
 * - Go's regexp syntax (RE2), which the pattern's regexp is compiled with when it is first used.
 *   Its character classes differ from JavaScript's (`[[:alpha:]]`, `[\d-z]`, `[^]a]`), so the regexp
 *   is parsed here as Go parses it and written out as an equivalent JavaScript RegExp.
 * Both work on the pattern's UTF-8 bytes, as Go does, through names.ts's byte-exact strings.
 */
import {encodeText, sequenceLength} from '../surrogate-escape.js'

/** Go's utf8.DecodeRune: the rune at `at` and its width; an invalid byte is U+FFFD, width 1; none left is U+FFFD, width 0. */
function decodeRune(bytes: Uint8Array, at: number): [rune: number, width: number] {
  if (at >= bytes.length) return [0xfffd, 0]
  const width = sequenceLength(bytes, at)
  if (width === 0) return [0xfffd, 1]
  return [
    Buffer.from(bytes.subarray(at, at + width))
      .toString('utf8')
      .codePointAt(0) as number,
    width,
  ]
}

const SLASH = 0x2f
const BACKSLASH = 0x5c

class BadPattern extends Error {}

/** Go's filepath getEsc. */
function getEsc(chunk: Uint8Array, at: number): [rune: number, next: number] {
  if (at >= chunk.length || chunk[at] === 0x2d || chunk[at] === 0x5d) throw new BadPattern()
  if (chunk[at] === BACKSLASH) {
    at++
    if (at >= chunk.length) throw new BadPattern()
  }
  const [rune, width] = decodeRune(chunk, at)
  if (rune === 0xfffd && width === 1) throw new BadPattern()
  if (at + width >= chunk.length) throw new BadPattern()
  return [rune, at + width]
}

/** Go's filepath matchChunk: the rest of `s` after `chunk` matched its start, or undefined. */
function matchChunk(chunk: Uint8Array, s: Uint8Array): Uint8Array | undefined {
  let failed = false
  let c = 0
  let at = 0
  while (c < chunk.length) {
    if (!failed && at >= s.length) failed = true
    switch (chunk[c]) {
      case 0x5b: {
        // '[': a character class
        let rune = -1
        if (!failed) {
          const [r, width] = decodeRune(s, at)
          rune = r
          at += width
        }
        c++
        let negated = false
        if (c < chunk.length && chunk[c] === 0x5e) {
          negated = true
          c++
        }
        let match = false
        let ranges = 0
        for (;;) {
          if (c < chunk.length && chunk[c] === 0x5d && ranges > 0) {
            c++
            break
          }
          let lo: number
          ;[lo, c] = getEsc(chunk, c)
          let hi = lo
          if (chunk[c] === 0x2d) [hi, c] = getEsc(chunk, c + 1)
          if (lo <= rune && rune <= hi) match = true
          ranges++
        }
        if (match === negated) failed = true
        break
      }
      case 0x3f: // '?'
        if (!failed) {
          if (s[at] === SLASH) failed = true
          at += decodeRune(s, at)[1]
        }
        c++
        break
      default:
        if (chunk[c] === BACKSLASH) {
          // the escaped byte is a literal
          c++
          if (c >= chunk.length) throw new BadPattern()
        }
        if (!failed) {
          if (chunk[c] !== s[at]) failed = true
          at++
        }
        c++
    }
  }
  return failed ? undefined : s.subarray(at)
}

/** Go's filepath scanChunk: leading stars, the chunk up to the next star outside a class, the rest. */
function scanChunk(pattern: Uint8Array): [star: boolean, chunk: Uint8Array, rest: Uint8Array] {
  let star = false
  let start = 0
  while (start < pattern.length && pattern[start] === 0x2a) {
    start++
    star = true
  }
  let inRange = false
  let i = start
  scan: for (; i < pattern.length; i++) {
    switch (pattern[i]) {
      case BACKSLASH:
        if (i + 1 < pattern.length) i++
        break
      case 0x5b:
        inRange = true
        break
      case 0x5d:
        inRange = false
        break
      case 0x2a:
        if (!inRange) break scan
    }
  }
  return [star, pattern.subarray(start, i), pattern.subarray(i)]
}

/** Whether Go's `filepath.Match(pattern, name)` returns ErrBadPattern (the only error it has). */
export function goMatchFails(patternText: string, nameText = '.'): boolean {
  let pattern = encodeText(patternText) as Uint8Array
  let name = encodeText(nameText) as Uint8Array
  try {
    outer: while (pattern.length > 0) {
      let star: boolean
      let chunk: Uint8Array
      ;[star, chunk, pattern] = scanChunk(pattern)
      if (star && chunk.length === 0) return false
      let error: unknown
      let rest: Uint8Array | undefined
      try {
        rest = matchChunk(chunk, name)
      } catch (caught) {
        error = caught
      }
      if (rest !== undefined && (rest.length === 0 || pattern.length > 0)) {
        name = rest
        continue
      }
      if (error) throw error
      if (star) {
        for (let i = 0; i < name.length && name[i] !== SLASH; i++) {
          const skipped = matchChunk(chunk, name.subarray(i + 1))
          if (skipped !== undefined) {
            if (pattern.length === 0 && skipped.length > 0) continue
            name = skipped
            continue outer
          }
        }
      }
      // no match: the rest of the pattern is still checked for its syntax
      while (pattern.length > 0) {
        ;[, chunk, pattern] = scanChunk(pattern)
        matchChunk(chunk, new Uint8Array())
      }
      return false
    }
    return false
  } catch (error) {
    if (error instanceof BadPattern) return true
    throw error
  }
}

// ---- Go regexp syntax → JavaScript ----

/** Class contents for ranges of characters written as they are (`a-z`, single characters alone). */
function ranges(spec: string): string {
  return spec
    .split(' ')
    .map((range) => {
      const [lo, hi] = [...range]
      return hi === undefined
        ? literal(lo?.codePointAt(0) as number)
        : `${literal(lo?.codePointAt(0) as number)}-${literal(range.codePointAt(range.length - 1) as number)}`
    })
    .join('')
}

/** POSIX classes (ASCII only, as in Go), as class contents. */
const POSIX: Record<string, string> = {
  alnum: ranges('09 AZ az'),
  alpha: ranges('AZ az'),
  ascii: `${literal(0)}-${literal(0x7f)}`,
  blank: `${literal(9)}${literal(32)}`,
  cntrl: `${literal(0)}-${literal(0x1f)}${literal(0x7f)}`,
  digit: ranges('09'),
  graph: `${literal(0x21)}-${literal(0x7e)}`,
  lower: ranges('az'),
  print: `${literal(0x20)}-${literal(0x7e)}`,
  punct: `${literal(0x21)}-${literal(0x2f)}${literal(0x3a)}-${literal(0x40)}${literal(0x5b)}-${literal(0x60)}${literal(0x7b)}-${literal(0x7e)}`,
  space: [9, 10, 11, 12, 13, 32].map(literal).join(''),
  upper: ranges('AZ'),
  word: ranges('09 AZ az') + literal(0x5f),
  xdigit: ranges('09 AF af'),
}

/** Perl classes (ASCII only, as in Go), as class contents. */
const PERL: Record<string, string> = {d: ranges('09'), s: [9, 10, 12, 13, 32].map(literal).join(''), w: ranges('09 AZ az') + literal(0x5f)}

/** A Go regexp that does not compile, as Go says it. */
export class GoRegexpError extends Error {}

function literal(codePoint: number): string {
  return `\\u{${codePoint.toString(16)}}`
}

const isAlnum = (c: string): boolean => /^[0-9A-Za-z]$/.test(c)

/** A JavaScript class (for the v flag) for Go's `\pX`, `\p{Name}`, `\PX`, `\p{^Name}`. */
function unicodeClass(name: string, negated: boolean): string {
  let not = negated
  if (name.startsWith('^')) {
    not = !not
    name = name.slice(1)
  }
  const candidates = name === 'Any' ? ['[\\u{0}-\\u{10ffff}]'] : [`\\p{${name}}`, `\\p{Script=${name}}`]
  for (const candidate of candidates) {
    try {
      new RegExp(candidate, 'v')
      return not ? `[^${candidate}]` : `[${candidate}]`
    } catch {
      // try the next reading of the name
    }
  }
  throw new GoRegexpError(`invalid character class range: \\p{${name}}`)
}

class GoRegexpParser {
  private at = 0
  private readonly chars: string[]

  constructor(source: string) {
    this.chars = [...source]
  }

  private peek(offset = 0): string | undefined {
    return this.chars[this.at + offset]
  }

  private next(): string {
    const char = this.chars[this.at++]
    if (char === undefined) throw new GoRegexpError('trailing backslash at end of expression')
    return char
  }

  private rest(): string {
    return this.chars.slice(this.at).join('')
  }

  /** Go's parseEscape after the backslash: one rune. */
  private escapedRune(): number {
    const c = this.next()
    const code = c.codePointAt(0) as number
    if (code < 0x80 && !isAlnum(c)) return code
    if (c >= '0' && c <= '7') {
      if (c !== '0' && !/[0-7]/.test(this.peek() ?? '')) throw new GoRegexpError(`invalid escape sequence: \\${c}`)
      let value = Number(c)
      for (let i = 0; i < 2 && /[0-7]/.test(this.peek() ?? ''); i++) value = value * 8 + Number(this.next())
      return value
    }
    if (c === 'x') {
      if (this.peek() === '{') {
        this.next()
        let hex = ''
        while (this.peek() !== undefined && this.peek() !== '}') hex += this.next()
        if (this.peek() !== '}' || !/^[0-9A-Fa-f]+$/.test(hex) || Number.parseInt(hex, 16) > 0x10ffff)
          throw new GoRegexpError('invalid escape sequence: \\x{')
        this.next()
        return Number.parseInt(hex, 16)
      }
      const hex = (this.peek() ?? '') + (this.peek(1) ?? '')
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw new GoRegexpError('invalid escape sequence: \\x')
      this.at += 2
      return Number.parseInt(hex, 16)
    }
    const simple: Record<string, number> = {a: 7, f: 12, n: 10, r: 13, t: 9, v: 11}
    if (c in simple) return simple[c] as number
    throw new GoRegexpError(`invalid escape sequence: \\${c}`)
  }

  /** `\pX` or `\p{Name}` after the backslash, when there is one. */
  private unicodeEscape(): string | undefined {
    const kind = this.peek()
    if (kind !== 'p' && kind !== 'P') return undefined
    this.next()
    let name = this.next()
    if (name === '{') {
      name = ''
      while (this.peek() !== undefined && this.peek() !== '}') name += this.next()
      if (this.peek() !== '}') throw new GoRegexpError('invalid character class range')
      this.next()
    }
    return unicodeClass(name, kind === 'P')
  }

  /** `\d \D \s \S \w \W` after the backslash, when there is one. */
  private perlEscape(): string | undefined {
    const c = this.peek() ?? ''
    const body = PERL[c.toLowerCase()]
    if (body === undefined) return undefined
    this.next()
    return c === c.toLowerCase() ? `[${body}]` : `[^${body}]`
  }

  /** One class item: a POSIX class, an escape class, or a single rune (returned as a number). */
  private classItem(): number | string {
    if (this.peek() === '[' && this.peek(1) === ':') {
      const rest = this.rest()
      const end = rest.indexOf(':]', 2)
      if (end !== -1) {
        let name = rest.slice(2, end)
        const negated = name.startsWith('^')
        if (negated) name = name.slice(1)
        const body = POSIX[name]
        if (body === undefined) throw new GoRegexpError(`invalid character class range: ${rest.slice(0, end + 2)}`)
        this.at += [...rest.slice(0, end + 2)].length
        return negated ? `[^${body}]` : `[${body}]`
      }
    }
    if (this.peek() === '\\') {
      this.next()
      const special = this.unicodeEscape() ?? this.perlEscape()
      if (special !== undefined) return special
      return this.escapedRune()
    }
    return this.next().codePointAt(0) as number
  }

  /** A class after its `[`, as a JavaScript class for the v flag. */
  private parseClass(): string {
    let negated = false
    if (this.peek() === '^') {
      this.next()
      negated = true
    }
    const items: string[] = []
    let first = true
    for (;;) {
      if (this.peek() === undefined) throw new GoRegexpError('missing closing ]')
      if (this.peek() === ']' && !first) {
        this.next()
        break
      }
      first = false
      const lo = this.classItem()
      if (typeof lo === 'string') {
        items.push(lo)
        continue
      }
      if (this.peek() === '-' && this.peek(1) !== undefined && this.peek(1) !== ']') {
        this.next()
        const hi = this.classItem()
        if (typeof hi === 'string' || hi < lo) throw new GoRegexpError('invalid character class range')
        items.push(`${literal(lo)}-${literal(hi)}`)
      } else items.push(literal(lo))
    }
    // regexp.Compile's flags include ClassNL: a negated class matches a newline too, as here
    return `[${negated ? '^' : ''}${items.join('')}]`
  }

  /** Go's parseInt for a repeat count: digits without a leading zero; -1 when too big. */
  private repeatCount(): number | undefined {
    let digits = ''
    while (/[0-9]/.test(this.peek() ?? '')) digits += this.next()
    if (digits === '' || (digits.length > 1 && digits.startsWith('0'))) return undefined
    return digits.length > 8 ? -1 : Number(digits)
  }

  /** Go's parseRepeat after `{`: `[min, max]` (max -1: no limit), or undefined when `{` is a literal. */
  private repeat(): [number, number] | undefined {
    const start = this.at
    const fail = (): undefined => {
      this.at = start
      return undefined
    }
    const min = this.repeatCount()
    if (min === undefined || this.peek() === undefined) return fail()
    let max = min
    if (this.peek() === ',') {
      this.next()
      if (this.peek() === '}') max = -1
      else {
        const upper = this.repeatCount()
        if (upper === undefined) return fail()
        max = upper
      }
    }
    if (this.peek() !== '}') return fail()
    this.next()
    return [min, max]
  }

  /** The whole expression as JavaScript RegExp source (v flag). */
  translate(): string {
    let out = ''
    /** Whether the last thing written can take a quantifier (an atom, not a quantifier or an anchor). */
    let quantifiable = false
    let quantified = false
    while (this.peek() !== undefined) {
      const c = this.next()
      switch (c) {
        case '^':
        case '$':
          // grouped: Go may repeat an anchor (`^{2}`), JavaScript only a group
          out += `(?:${c})`
          quantifiable = true
          quantified = false
          break
        case '.':
          out += '[^\\n]'
          quantifiable = true
          quantified = false
          break
        case '(':
          out += '(?:'
          quantifiable = false
          quantified = false
          break
        case ')':
          out += ')'
          quantifiable = true
          quantified = false
          break
        case '|':
          out += '|'
          quantifiable = false
          quantified = false
          break
        case '*':
        case '+':
        case '?':
          if (quantified) {
            // `x*?` is lazy, `x**` is an error, as in Go
            if (c === '?' && !out.endsWith('?')) {
              out += '?'
              break
            }
            throw new GoRegexpError(`invalid nested repetition operator: ${c}`)
          }
          if (!quantifiable) throw new GoRegexpError(`missing argument to repetition operator: ${c}`)
          out += c
          quantified = true
          break
        case '{': {
          const counts = this.repeat()
          if (counts === undefined) {
            // not a repeat: a literal brace, as in Go
            out += literal(0x7b)
            quantifiable = true
            quantified = false
            break
          }
          const [min, max] = counts
          if (min < 0 || min > 1000 || max > 1000 || (max >= 0 && min > max)) throw new GoRegexpError('invalid repeat count')
          if (quantified) throw new GoRegexpError('invalid nested repetition operator')
          if (!quantifiable) throw new GoRegexpError('missing argument to repetition operator')
          out += max === -1 ? `{${min},}` : `{${min},${max}}`
          quantified = true
          break
        }
        case '[':
          out += this.parseClass()
          quantifiable = true
          quantified = false
          break
        case '\\': {
          const kind = this.peek()
          if (kind === 'A' || kind === 'z') {
            this.next()
            out += kind === 'A' ? '(?:^)' : '(?:$)'
            quantifiable = true
          } else if (kind === 'b' || kind === 'B') {
            this.next()
            out += `(?:\\${kind})`
            quantifiable = true
          } else if (kind === 'Q') {
            this.next()
            let text = ''
            while (this.peek() !== undefined && !(this.peek() === '\\' && this.peek(1) === 'E')) text += this.next()
            if (this.peek() === '\\') this.at += 2
            out += [...text].map((char) => literal(char.codePointAt(0) as number)).join('')
            quantifiable = text.length > 0
          } else {
            out += this.unicodeEscape() ?? this.perlEscape() ?? literal(this.escapedRune())
            quantifiable = true
          }
          quantified = false
          break
        }
        default:
          out += literal(c.codePointAt(0) as number)
          quantifiable = true
          quantified = false
      }
    }
    return out
  }
}

/** The JavaScript RegExp for a Go regexp, or a GoRegexpError where Go's regexp.Compile fails. */
export function goRegexp(source: string): RegExp {
  const translated = new GoRegexpParser(source).translate()
  try {
    return new RegExp(translated, 'v')
  } catch (error) {
    throw new GoRegexpError(`cannot translate: ${(error as Error).message}`)
  }
}
