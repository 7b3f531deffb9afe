/**
 * Which Dockerfile instructions read which context paths, as BuildKit decides it: COPY and ADD
 * sources without --from (Go filepath.Match wildcards, a match takes everything beneath it, the
 * --exclude patterns with .dockerignore semantics below the source), and RUN --mount=type=bind
 * without from= (its source, the whole context by default). Only stages the build target needs are
 * built, so only they are looked at.
 */
import {IgnoreMatcher, parseIgnoreFile} from '../stage/ignore.js'
import {type DockerfileModel, type InstructionNode, copyPaths, flag, flags, parseDockerfile, stageByRef} from '../rewrite/parse.js'
import {expandWord, variableScopes} from '../rewrite/expand.js'

export interface ContextReader {
  instruction: InstructionNode
  /** Context paths as written after variable expansion, cleaned ('' is the whole context). */
  sources: string[]
  /** --exclude patterns of COPY/ADD, applied below each source. */
  excludes?: IgnoreMatcher
}

export interface DockerfileReaders {
  model: DockerfileModel
  /** Stage indexes the target needs, the target included. */
  needed: Set<number>
  readers: ContextReader[]
}

/** Go's path.Clean for a context path, without the leading slash ('' for the root). */
function cleanSource(source: string): string {
  const parts: string[] = []
  for (const part of source.split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') parts.pop()
    else parts.push(part)
  }
  return parts.join('/')
}

const GLOB = /[*?[\\]/

/** Go's filepath.Match pattern as a regexp over one path (a `*` never crosses a slash). */
function globRegExp(pattern: string): RegExp | undefined {
  let source = '^'
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string
    if (ch === '*') source += '[^/]*'
    else if (ch === '?') source += '[^/]'
    else if (ch === '\\') source += `\\${pattern[++i] ?? '\\'}`
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 2)
      if (end === -1) return undefined // Go: ErrBadPattern, the build fails anyway
      let body = pattern.slice(i + 1, end)
      if (body.startsWith('^')) body = `^${body.slice(1)}`
      source += `[${body.replaceAll('/', '')}]`
      i = end
    } else source += ch.replace(/[.+^$(){}|]/g, '\\$&')
  }
  try {
    return new RegExp(`${source}$`, 'u')
  } catch {
    return undefined
  }
}

/** Whether `rel` is excluded by patterns matched as .dockerignore matches (parents carry their result). */
function excludedBy(matcher: IgnoreMatcher, rel: string): boolean {
  let info
  let excluded = false
  let prefix = ''
  for (const part of rel.split('/')) {
    prefix = prefix === '' ? part : `${prefix}/${part}`
    ;({excluded, info} = matcher.match(prefix, info))
  }
  return excluded
}

/** The source of `reader` that reads context path `rel`, if any. */
export function sourceReading(reader: ContextReader, rel: string): string | undefined {
  for (const source of reader.sources) {
    let below: string | undefined
    if (source === '') below = rel
    else if (!GLOB.test(source)) {
      if (rel === source) below = ''
      else if (rel.startsWith(`${source}/`)) below = rel.slice(source.length + 1)
    } else {
      const depth = source.split('/').length
      const parts = rel.split('/')
      const regexp = globRegExp(source)
      if (regexp && parts.length >= depth && regexp.test(parts.slice(0, depth).join('/'))) below = parts.slice(depth).join('/')
    }
    if (below === undefined) continue
    if (reader.excludes && below !== '' && excludedBy(reader.excludes, below)) continue
    return source === '' ? '.' : source
  }
  return undefined
}

const URL_SOURCE = /^([a-z][a-z0-9+.-]*:\/\/|git@)/i

/** `type=bind,source=x,target=/y` → its fields (keys lower case). */
function mountFields(value: string): Map<string, string> {
  const fields = new Map<string, string>()
  for (const field of value.split(',')) {
    const eq = field.indexOf('=')
    if (eq === -1) fields.set(field.trim().toLowerCase(), 'true')
    else fields.set(field.slice(0, eq).trim().toLowerCase(), field.slice(eq + 1).trim())
  }
  return fields
}

/** Stage indexes the build of `target` (the last stage when undefined) needs. */
function neededStages(model: DockerfileModel, target: string | undefined): Set<number> {
  const needed = new Set<number>()
  if (model.stages.length === 0) return needed
  const start = target === undefined ? model.stages.length - 1 : model.stages.findIndex((stage) => stage.name === target.toLowerCase())
  const queue = [start === -1 ? model.stages.length - 1 : start]
  while (queue.length > 0) {
    const index = queue.pop() as number
    if (needed.has(index)) continue
    needed.add(index)
    const stage = model.stages[index]
    if (!stage) continue
    if (stage.parent !== undefined) queue.push(stage.parent)
    for (const instruction of stage.instructions) {
      const refs = [
        flag(instruction, 'from')?.value,
        ...flags(instruction, 'mount').map((mount) => mountFields(mount.value ?? '').get('from')),
      ]
      for (const ref of refs) {
        const from = ref ? stageByRef(model, ref, index) : undefined
        if (from) queue.push(from.index)
      }
    }
  }
  return needed
}

/** The context readers of a Dockerfile for a target, with build args expanding their paths. */
export function dockerfileReaders(
  text: string,
  options: {target?: string; buildArgs?: Record<string, string>; platform?: string} = {},
): DockerfileReaders {
  const model = parseDockerfile(text)
  const needed = neededStages(model, options.target)
  const scopes = variableScopes(model, options.buildArgs ?? {}, options.platform)
  const expand = (instruction: InstructionNode, word: string): string =>
    expandWord(word, scopes[instruction.index] ?? (() => undefined), model.escape).value
  const readers: ContextReader[] = []
  for (const instruction of model.instructions) {
    if (!needed.has(instruction.stage)) continue
    if (instruction.keyword === 'COPY' || instruction.keyword === 'ADD') {
      if (flag(instruction, 'from')) continue
      const paths = copyPaths(instruction)
      if (!paths) continue
      const sources = paths.sources
        .filter((source) => !source.startsWith('<<') && !URL_SOURCE.test(source))
        .map((source) => cleanSource(expand(instruction, source)))
      if (sources.length === 0) continue
      const excludeFlags = flags(instruction, 'exclude')
      const excludes =
        excludeFlags.length > 0
          ? new IgnoreMatcher(
              parseIgnoreFile(
                excludeFlags.map((f) => expand(instruction, f.value ?? '')).join('\n'),
                `--exclude of line ${instruction.line}`,
              ),
            )
          : undefined
      readers.push({instruction, sources, ...(excludes ? {excludes} : {})})
    } else if (instruction.keyword === 'RUN') {
      const sources: string[] = []
      for (const mount of flags(instruction, 'mount')) {
        const fields = mountFields(expand(instruction, mount.value ?? ''))
        if ((fields.get('type') ?? 'bind') !== 'bind' || fields.has('from')) continue
        sources.push(cleanSource(fields.get('source') ?? fields.get('src') ?? '.'))
      }
      if (sources.length > 0) readers.push({instruction, sources})
    }
  }
  return {model, needed, readers}
}

/** The instruction's text as one line, for messages. */
export function instructionText(model: DockerfileModel, instruction: InstructionNode): string {
  const text = model.text.slice(instruction.range[0], instruction.range[1]).replace(/\\\r?\n\s*/g, ' ')
  const line = text.split(/\r?\n/)[0] ?? ''
  return line.length > 100 ? `${line.slice(0, 97)}...` : line
}
