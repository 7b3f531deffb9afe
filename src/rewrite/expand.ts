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
 * The variables visible to each instruction, by instruction index: global ARGs (before the first
 * FROM) with --build-arg overrides, then per stage the ARGs it declares, and ENV (inherited from a
 * parent stage). ENV wins over ARG, as in BuildKit.
 */
export function variableScopes(model: DockerfileModel, buildArgs: Record<string, string> = {}, platform?: string): Lookup[] {
  const predefined = platformArgs(platform)
  const globals = new Map<string, string | undefined>()
  const stageEnv: Map<string, string>[] = []
  let env = new Map<string, string>()
  let args = new Map<string, string | undefined>()
  const scopes: Lookup[] = []
  const globalLookup: Lookup = (name) => globals.get(name) ?? predefined[name]
  for (const instruction of model.instructions) {
    const inStage = instruction.stage >= 0
    if (instruction.keyword === 'FROM') {
      const parent = model.stages[instruction.stage]?.parent
      env = new Map(parent === undefined ? [] : stageEnv[parent])
      args = new Map()
      stageEnv[instruction.stage] = env
    }
    const frozenEnv = new Map(env)
    const frozenArgs = new Map(args)
    const lookup: Lookup = inStage && instruction.keyword !== 'FROM' ? (name) => frozenEnv.get(name) ?? frozenArgs.get(name) : globalLookup
    scopes.push(lookup)
    for (const {name, value} of instruction.properties ?? []) {
      const expanded = value === null ? undefined : expandWord(value, lookup, model.escape).value
      if (instruction.keyword === 'ENV') env.set(name, expanded ?? '')
      else if (!inStage) globals.set(name, buildArgs[name] ?? expanded)
      else args.set(name, buildArgs[name] ?? expanded ?? (globals.has(name) ? globals.get(name) : predefined[name]))
    }
  }
  return scopes
}

export function expandAt(model: DockerfileModel, scopes: Lookup[], instruction: InstructionNode, word: string): Expanded {
  const lookup = scopes[instruction.index] ?? (() => undefined)
  return expandWord(word, lookup, model.escape)
}
