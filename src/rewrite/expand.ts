import type {DockerfileModel, InstructionNode} from './parse.js'

export interface Expanded {
  value: string
  /** Variables used but defined nowhere (BuildKit makes them empty). */
  unresolved: string[]
}

export type Lookup = (name: string) => string | undefined

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/

/**
 * Expands a word as BuildKit's shell lexer does for flag values and arguments: quotes are
 * removed, the escape character escapes, and $VAR, ${VAR}, ${VAR:-x}, ${VAR-x}, ${VAR:+x},
 * ${VAR+x} are substituted.
 */
export function expandWord(word: string, lookup: Lookup, escape = '\\'): Expanded {
  const unresolved: string[] = []
  const value = expandInto(word, lookup, escape, unresolved, false)
  return {value, unresolved: [...new Set(unresolved)]}
}

function expandInto(word: string, lookup: Lookup, escape: string, unresolved: string[], nested: boolean): string {
  let out = ''
  let quote: '"' | "'" | undefined
  for (let i = 0; i < word.length; i++) {
    const c = word[i] as string
    if (quote === "'") {
      if (c === "'") quote = undefined
      else out += c
      continue
    }
    if (c === escape && i + 1 < word.length) {
      out += word[++i]
      continue
    }
    if (!nested && (c === '"' || c === "'")) {
      if (quote === c) quote = undefined
      else if (!quote) quote = c
      else out += c
      continue
    }
    if (c !== '$') {
      out += c
      continue
    }
    const rest = word.slice(i + 1)
    if (rest.startsWith('{')) {
      const close = matchingBrace(word, i + 1)
      if (close === -1) {
        out += word.slice(i)
        break
      }
      out += substitute(word.slice(i + 2, close), lookup, escape, unresolved)
      i = close
      continue
    }
    const name = NAME.exec(rest)?.[0]
    if (!name) {
      out += c
      continue
    }
    const value = lookup(name)
    if (value === undefined) unresolved.push(name)
    out += value ?? ''
    i += name.length
  }
  return out
}

function matchingBrace(word: string, open: number): number {
  let depth = 0
  for (let i = open; i < word.length; i++) {
    if (word[i] === '{') depth++
    else if (word[i] === '}' && --depth === 0) return i
  }
  return -1
}

function substitute(inner: string, lookup: Lookup, escape: string, unresolved: string[]): string {
  const name = NAME.exec(inner)?.[0] ?? ''
  const modifier = inner.slice(name.length)
  const value = lookup(name)
  const word = (from: number) => expandInto(modifier.slice(from), lookup, escape, unresolved, true)
  if (modifier === '') {
    if (value === undefined) unresolved.push(name)
    return value ?? ''
  }
  if (modifier.startsWith(':-')) return value ? value : word(2)
  if (modifier.startsWith('-')) return value !== undefined ? value : word(1)
  if (modifier.startsWith(':+')) return value ? word(2) : ''
  if (modifier.startsWith('+')) return value !== undefined ? word(1) : ''
  if (value === undefined) unresolved.push(name)
  return value ?? ''
}

/** Platform ARGs BuildKit predefines in the global scope. */
function platformArgs(platform: string | undefined): Record<string, string> {
  if (!platform) return {}
  const [os = '', arch = '', variant = ''] = platform.split(',')[0]?.split('/') ?? []
  return {TARGETPLATFORM: platform, TARGETOS: os, TARGETARCH: arch, TARGETVARIANT: variant}
}

/**
 * Values a variable took, in instruction order: `at` is the index of the instruction that set it.
 * A scope reads "the last value set before instruction i" by binary search, so the scopes of n
 * instructions cost O(n log n) instead of a copy of every variable at every instruction.
 */
class History {
  private readonly values = new Map<string, {at: number[]; value: (string | undefined)[]}>()

  set(name: string, at: number, value: string | undefined): void {
    const entry = this.values.get(name)
    if (entry) {
      entry.at.push(at)
      entry.value.push(value)
    } else this.values.set(name, {at: [at], value: [value]})
  }

  /** Whether `name` was set before instruction `before`, and to what. */
  get(name: string, before: number): {value: string | undefined} | undefined {
    const entry = this.values.get(name)
    if (!entry) return undefined
    let low = 0
    let high = entry.at.length
    while (low < high) {
      const mid = (low + high) >>> 1
      if ((entry.at[mid] as number) < before) low = mid + 1
      else high = mid
    }
    return low === 0 ? undefined : {value: entry.value[low - 1]}
  }
}

/**
 * The variables visible to each instruction, by instruction index: global ARGs (before the first
 * FROM) with --build-arg overrides, then per stage the ARGs it declares, and ENV (inherited from a
 * parent stage). ENV wins over ARG, as in BuildKit.
 */
export function variableScopes(model: DockerfileModel, buildArgs: Record<string, string> = {}, platform?: string): Lookup[] {
  const predefined = platformArgs(platform)
  const globals = new Map<string, string | undefined>()
  /** Per stage: its own ENV and ARG history, and the stage its ENV is inherited from. */
  const stages: {env: History; args: History; parent?: number}[] = []
  const scopes: Lookup[] = []
  const globalLookup: Lookup = (name) => globals.get(name) ?? predefined[name]
  /** ENV of `stage` before instruction `before`, falling back to the parent stage's final ENV. */
  const envAt = (stage: number | undefined, name: string, before: number): string | undefined => {
    for (let at = before; stage !== undefined; at = Number.POSITIVE_INFINITY) {
      const scope = stages[stage]
      const found = scope?.env.get(name, at)
      if (found) return found.value
      stage = scope?.parent
    }
    return undefined
  }
  for (const instruction of model.instructions) {
    const inStage = instruction.stage >= 0
    if (instruction.keyword === 'FROM') {
      const parent = model.stages[instruction.stage]?.parent
      stages[instruction.stage] = {env: new History(), args: new History(), ...(parent === undefined ? {} : {parent})}
    }
    const stage = instruction.stage
    const index = instruction.index
    const lookup: Lookup =
      inStage && instruction.keyword !== 'FROM' ? (name) => envAt(stage, name, index) ?? stages[stage]?.args.get(name, index)?.value : globalLookup
    scopes.push(lookup)
    for (const {name, value} of instruction.properties ?? []) {
      const expanded = value === null ? undefined : expandWord(value, lookup, model.escape).value
      if (instruction.keyword === 'ENV') stages[stage]?.env.set(name, index, expanded ?? '')
      else if (!inStage) globals.set(name, buildArgs[name] ?? expanded)
      else stages[stage]?.args.set(name, index, buildArgs[name] ?? expanded ?? (globals.has(name) ? globals.get(name) : predefined[name]))
    }
  }
  return scopes
}

export function expandAt(model: DockerfileModel, scopes: Lookup[], instruction: InstructionNode, word: string): Expanded {
  const lookup = scopes[instruction.index] ?? (() => undefined)
  return expandWord(word, lookup, model.escape)
}
