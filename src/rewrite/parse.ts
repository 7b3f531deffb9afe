import {DockerfileParser, type Flag, type Instruction, type Property} from 'dockerfile-ast'

/** A `# key=value` parser directive at the top of the file. */
export interface DirectiveNode {
  name: string
  value: string
  /** 1-based */
  line: number
  valueRange: [number, number]
}

export interface FlagNode {
  /** Without the leading `--`. */
  name: string
  /** null for a bare flag such as `--link`. */
  value: string | null
  range: [number, number]
  valueRange?: [number, number]
}

export interface ArgNode {
  value: string
  range: [number, number]
}

export interface InstructionNode {
  index: number
  /** Upper case, e.g. COPY. */
  keyword: string
  /** 1-based line of the keyword. */
  line: number
  /** From the keyword to the end of its last line (heredoc bodies included), without the newline. */
  range: [number, number]
  flags: FlagNode[]
  /** The arguments after the flags, as the parser split them (shell form). */
  args: ArgNode[]
  /** The arguments of the exec (JSON) form, when the instruction uses it. */
  json?: string[]
  /** Index into stages; -1 for global ARGs before the first FROM. */
  stage: number
  /** ARG and ENV: name and raw value (null for `ARG NAME` without a default). */
  properties?: {name: string; value: string | null}[]
  /** Rule ids silenced by `# dbuild ignore=<id>[,<id>]` on the line before. */
  ignored: string[]
}

export interface StageNode {
  index: number
  /** Lower case, as BuildKit compares stage names. */
  name?: string
  /** The FROM image argument as written. */
  base: string
  from: InstructionNode
  /** Index of the earlier stage this one is built FROM, if any. */
  parent?: number
  instructions: InstructionNode[]
}

export interface DockerfileModel {
  text: string
  /** 1 when the text starts with a byte order mark, else 0; every range already includes it. */
  bom: number
  escape: string
  /** `\r\n` when the file uses it, for lines a rule writes. */
  newline: string
  directives: DirectiveNode[]
  instructions: InstructionNode[]
  stages: StageNode[]
}

const DIRECTIVE = /^#[ \t]*([A-Za-z][A-Za-z0-9_-]*)[ \t]*=[ \t]*(.*?)[ \t]*$/
const PRAGMA = /^\s*#\s*dbuild\s+ignore=([A-Za-z0-9_,-]+)\s*$/

/** Start offsets of each line, breaking lines as the parser does (\r\n, \r, \n). */
function lineStarts(text: string): number[] {
  const starts = [0]
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '\r') {
      if (text[i + 1] === '\n') i++
      starts.push(i + 1)
    } else if (c === '\n') starts.push(i + 1)
  }
  return starts
}

function parseDirectives(body: string, bom: number, starts: number[]): DirectiveNode[] {
  const directives: DirectiveNode[] = []
  for (let line = 0; line < starts.length; line++) {
    const start = starts[line] ?? 0
    const end = (starts[line + 1] ?? body.length + 1) - 1
    const raw = body.slice(start, Math.max(start, end)).replace(/\r$/, '')
    const match = DIRECTIVE.exec(raw)
    if (!match?.[1] || match[2] === undefined) break
    let valueStart = start + raw.indexOf('=') + 1
    while (body[valueStart] === ' ' || body[valueStart] === '\t') valueStart++
    directives.push({
      name: match[1].toLowerCase(),
      value: match[2],
      line: line + 1,
      valueRange: [bom + valueStart, bom + valueStart + match[2].length],
    })
  }
  return directives
}

/** Parses with exact offsets into the original text (BOM included). */
export function parseDockerfile(text: string): DockerfileModel {
  const bom = text.startsWith('\uFEFF') ? 1 : 0
  const body = text.slice(bom)
  const starts = lineStarts(body)
  const at = (position: {line: number; character: number}): number => bom + (starts[position.line] ?? body.length) + position.character
  const ast = DockerfileParser.parse(body)
  const lines = body.split(/\r\n|\r|\n/)

  const instructions: InstructionNode[] = []
  const stages: StageNode[] = []
  for (const node of ast.getInstructions()) {
    const range = node.getRange()
    const keyword = node.getKeyword().toUpperCase()
    const flags: FlagNode[] = []
    const withFlags = node as Instruction & {getFlags?: () => Flag[]}
    for (const flag of withFlags.getFlags?.() ?? []) {
      const valueRange = flag.getValueRange()
      flags.push({
        name: flag.getName(),
        value: flag.getValue(),
        range: [at(flag.getRange().start), at(flag.getRange().end)],
        ...(valueRange ? {valueRange: [at(valueRange.start), at(valueRange.end)] as [number, number]} : {}),
      })
    }
    const args = node
      .getArguments()
      .map((arg) => ({value: arg.getValue(), range: [at(arg.getRange().start), at(arg.getRange().end)] as [number, number]}))
    const start = at(range.start)
    const end = at(range.end)
    const json = jsonForm(text, args[0]?.range[0], end)
    const previous = lines[range.start.line - 1]
    const pragma = previous === undefined ? undefined : PRAGMA.exec(previous)
    const properties = propertiesOf(node, keyword)
    const instruction: InstructionNode = {
      index: instructions.length,
      keyword,
      line: range.start.line + 1,
      range: [start, end],
      flags,
      args,
      ...(json ? {json} : {}),
      ...(properties ? {properties} : {}),
      stage: keyword === 'FROM' ? stages.length : stages.length - 1,
      ignored: pragma?.[1] ? pragma[1].split(',').filter(Boolean) : [],
    }
    instructions.push(instruction)
    if (keyword === 'FROM') {
      const [base, as, name] = args
      const stageName = as && /^as$/i.test(as.value) && name ? name.value.toLowerCase() : undefined
      const parent = stages.find((stage) => stage.name !== undefined && stage.name === base?.value.toLowerCase())
      stages.push({
        index: stages.length,
        ...(stageName ? {name: stageName} : {}),
        base: base?.value ?? '',
        from: instruction,
        ...(parent ? {parent: parent.index} : {}),
        instructions: [],
      })
    }
    stages[instruction.stage]?.instructions.push(instruction)
  }
  return {
    text,
    bom,
    escape: ast.getEscapeCharacter(),
    newline: text.includes('\r\n') ? '\r\n' : '\n',
    directives: parseDirectives(body, bom, starts),
    instructions,
    stages,
  }
}

function propertiesOf(node: Instruction, keyword: string): InstructionNode['properties'] {
  if (keyword !== 'ARG' && keyword !== 'ENV') return undefined
  const withProperties = node as Instruction & {getProperty?: () => Property | null; getProperties?: () => Property[]}
  const list =
    keyword === 'ARG' ? [withProperties.getProperty?.()].filter((p): p is Property => Boolean(p)) : (withProperties.getProperties?.() ?? [])
  return list.map((property) => ({name: property.getName(), value: property.getValue()}))
}

/** The exec form's strings, when the arguments are a JSON array. */
function jsonForm(text: string, start: number | undefined, end: number): string[] | undefined {
  if (start === undefined || text[start] !== '[') return undefined
  try {
    const value: unknown = JSON.parse(text.slice(start, end))
    return Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : undefined
  } catch {
    return undefined
  }
}

/** A stage named or numbered by a `--from` value, or undefined for an image. */
export function stageByRef(model: DockerfileModel, ref: string, before: number): StageNode | undefined {
  if (/^\d+$/.test(ref)) {
    const stage = model.stages[Number(ref)]
    return stage && stage.index < before ? stage : undefined
  }
  const name = ref.toLowerCase()
  return model.stages.find((stage) => stage.name === name && stage.index < before)
}

export function flag(instruction: InstructionNode, name: string): FlagNode | undefined {
  return instruction.flags.find((f) => f.name === name)
}

export function flags(instruction: InstructionNode, name: string): FlagNode[] {
  return instruction.flags.filter((f) => f.name === name)
}

/** A heredoc source (`<<EOF`, `<<-"EOF"`): its text follows the instruction, it is no path. */
export const isHeredocSource = (source: string): boolean => /^<<-?["']?[A-Za-z0-9_]/.test(source)

/** The arguments before any heredoc body: the parser lists the body's words as arguments too. */
function commandArgs(instruction: InstructionNode, text: string): ArgNode[] {
  const lastMarker = instruction.args.findLastIndex((arg) => isHeredocSource(arg.value))
  if (lastMarker === -1) return instruction.args
  const markerEnd = instruction.args[lastMarker]?.range[1] ?? 0
  const lineEnd = text.slice(markerEnd).search(/[\r\n]/)
  const bodyStart = lineEnd === -1 ? text.length : markerEnd + lineEnd
  return instruction.args.filter((arg) => arg.range[0] < bodyStart)
}

/** Source and destination arguments of COPY/ADD (exec or shell form); heredoc sources stay `<<NAME`. */
export function copyPaths(instruction: InstructionNode, text?: string): {sources: string[]; dest: string} | undefined {
  const all = instruction.json ?? (text === undefined ? instruction.args : commandArgs(instruction, text)).map((arg) => arg.value)
  if (all.length < 2) return undefined
  return {sources: all.slice(0, -1), dest: all[all.length - 1] ?? ''}
}
