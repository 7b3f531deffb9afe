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

const GOARCH: Record<string, string> = {
  x64: 'amd64',
  ia32: '386',
  arm64: 'arm64',
  arm: 'arm',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
}

/** The platform a local builder defaults to: this machine's, as Go names it. */
export function hostPlatform(): string {
  return `linux/${GOARCH[process.arch] ?? process.arch}`
}

/**
 * The ARGs BuildKit predefines in the global scope (dockerfile2llb's defaultArgs): the build and
 * target platforms, and TARGETSTAGE. Without --platform the target is the builder's own platform.
 */
export function predefinedArgs(platform: string | undefined, target?: string): Record<string, string> {
  const build = hostPlatform()
  const targetPlatform = platform?.split(',')[0] || build
  const [bos = '', barch = '', bvariant = ''] = build.split('/')
  const [tos = '', tarch = '', tvariant = ''] = targetPlatform.split('/')
  return {
    BUILDPLATFORM: build,
    BUILDOS: bos,
    BUILDOSVERSION: '',
    BUILDARCH: barch,
    BUILDVARIANT: bvariant,
    TARGETPLATFORM: targetPlatform,
    TARGETOS: tos,
    TARGETOSVERSION: '',
    TARGETARCH: tarch,
    TARGETVARIANT: tvariant,
    TARGETSTAGE: target || 'default',
  }
}

/**
 * The variables visible to each instruction, by instruction index, scoped as BuildKit's
 * dockerfile2llb does it:
 * - the meta ARGs before the first FROM (buildMetaArgs) see the predefined platform ARGs and each
 *   other, --build-arg overriding their defaults; FROM lines see only these;
 * - in a stage, ARG and ENV write one environment, the later write winning (dispatchArg adds an ARG
 *   to the state's env); `ARG NAME` takes the --build-arg, else its default, else the meta ARG of
 *   that name, else leaves the value it already has;
 * - a stage `FROM <stage>` starts from that stage's environment, its ARGs included
 *   (dispatchState.init inherits the base state).
 */
export function variableScopes(
  model: DockerfileModel,
  buildArgs: Record<string, string> = {},
  platform?: string,
  target?: string,
): Lookup[] {
  const globals = new Map<string, string>(Object.entries({...predefinedArgs(platform, target), ...pick(buildArgs, PREDEFINED_OVERRIDABLE)}))
  const stageEnv: Environment[] = []
  // one log of writes per stage, numbered across the file: each instruction keeps only the number it
  // saw, so the scopes cost memory linear in the Dockerfile (not a copy of the environment per line)
  // and a lookup is a binary search (not a walk over every earlier write)
  let env = new Environment()
  let written = 0
  const scopes: Lookup[] = []
  const globalLookup: Lookup = (name) => globals.get(name)
  const current: Lookup = (name) => env.read(name, written)
  for (const instruction of model.instructions) {
    const inStage = instruction.stage >= 0
    if (instruction.keyword === 'FROM') {
      const parent = model.stages[instruction.stage]?.parent
      const base = parent === undefined ? undefined : stageEnv[parent]
      env = new Environment(base && {env: base, mark: written})
    }
    if (inStage && instruction.keyword !== 'FROM') {
      const [seen, mark] = [env, written]
      scopes.push((name) => seen.read(name, mark))
    } else scopes.push(globalLookup)
    for (const {name, value} of instruction.properties ?? []) {
      if (instruction.keyword === 'ENV') {
        env.write(name, value === null ? '' : expandWord(value, current, model.escape).value, written++)
        continue
      }
      const given = Object.hasOwn(buildArgs, name) ? buildArgs[name] : undefined
      if (!inStage) {
        const resolved = given ?? (value === null ? undefined : expandWord(value, globalLookup, model.escape).value)
        if (resolved !== undefined) globals.set(name, resolved)
        continue
      }
      const resolved = given ?? (value === null ? globals.get(name) : expandWord(value, current, model.escape).value)
      if (resolved !== undefined) env.write(name, resolved, written++)
    }
    if (inStage) stageEnv[instruction.stage] = env
  }
  return scopes
}

/**
 * One stage's environment as a log of writes, each numbered (`at`) in the order of the whole file.
 * read(name, mark) is the value of the last write numbered below `mark`, else what the base stage
 * held when this stage began.
 */
class Environment {
  private readonly writes = new Map<string, {at: number[]; values: string[]}>()

  constructor(private readonly base?: {env: Environment; mark: number}) {}

  write(name: string, value: string, at: number): void {
    const log = this.writes.get(name)
    if (log) {
      log.at.push(at)
      log.values.push(value)
    } else this.writes.set(name, {at: [at], values: [value]})
  }

  read(name: string, mark: number): string | undefined {
    const log = this.writes.get(name)
    if (log) {
      let low = 0
      let high = log.at.length
      while (low < high) {
        const mid = (low + high) >>> 1
        if ((log.at[mid] as number) < mark) low = mid + 1
        else high = mid
      }
      if (low > 0) return log.values[low - 1]
    }
    return this.base?.env.read(name, this.base.mark)
  }
}

/** BuildKit lets --build-arg override the predefined ARGs too (defaultArgs' overrides). */
const PREDEFINED_OVERRIDABLE = Object.keys(predefinedArgs(undefined))

function pick(values: Record<string, string>, names: string[]): Record<string, string> {
  return Object.fromEntries(names.filter((name) => Object.hasOwn(values, name)).map((name) => [name, values[name] as string]))
}

export function expandAt(model: DockerfileModel, scopes: Lookup[], instruction: InstructionNode, word: string): Expanded {
  const lookup = scopes[instruction.index] ?? (() => undefined)
  return expandWord(word, lookup, model.escape)
}

/**
 * The flag word that starts at `start`, read as BuildKit's parser reads flags (extractBuilderFlags):
 * quotes group and are dropped, the escape character escapes, whitespace outside quotes ends the
 * word. `end` is where the word ends in `text`; a parser that split it elsewhere misread the flag.
 */
export function builderFlagWord(text: string, start: number, escape = '\\'): {value: string; end: number} {
  let value = ''
  let quote: string | undefined
  let at = start
  for (; at < text.length; at++) {
    const c = text[at] as string
    if (quote === undefined && /\s/.test(c)) break
    if (quote === undefined && (c === '"' || c === "'")) {
      quote = c
      continue
    }
    if (quote !== undefined && c === quote) {
      quote = undefined
      continue
    }
    if (c === escape) {
      // a line continuation is not part of the word
      if (text[at + 1] === '\n' || text[at + 1] === '\r' || at + 1 === text.length) break
      value += text[++at] ?? ''
      continue
    }
    value += c
  }
  return {value, end: at}
}
