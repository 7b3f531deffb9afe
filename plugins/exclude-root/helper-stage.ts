/** exclude-root's helper stage: the symlinks next to excluded paths, copied with X's own cp into one directory per level. */
import type {InstructionNode, RuleContext, StageNode, TreeEntry} from '../../src/rewrite/index.js'
import {type LinkLevel, type Plan, resolvePath} from './plan.js'

/** Where the helper stage looks for cp, in X's tree; the first that resolves to an executable wins. */
export const CP_CANDIDATES = ['/bin/cp', '/usr/bin/cp']
export const HELPER_PREFIX = 'dbuild-links-'
export const LINKS_DIR = '/dbuild-links'
/** Where X is bind-mounted in the helper's RUN, so that RUN's own mounts (/etc/hosts, /dev, …) are not what cp sees. */
export const SOURCE_MOUNT = '/dbuild-src'

/** The cp the helper stage runs, if X has one. */
export function findCp(listing: TreeEntry[]): string | undefined {
  const byPath = new Map(listing.map((entry) => [entry.path, entry]))
  return CP_CANDIDATES.find((candidate) => {
    const entry = resolvePath(byPath, candidate)
    return entry?.type === 'file' && (entry.mode & 0o111) !== 0
  })
}

/** A line whose numeric stage reference (`--from=2`, `--mount=…,from=2`) a stage inserted before `stage` would shift. */
export function shiftedReference(ctx: RuleContext, stage: number): string | undefined {
  for (const instruction of ctx.dockerfile.instructions.filter((i) => i.stage >= stage)) {
    const refs = instruction.flags.flatMap((f) => {
      const value = ctx.expand(instruction, f.value ?? '').value
      if (f.name === 'from' && (instruction.keyword === 'COPY' || instruction.keyword === 'ADD')) return [value]
      if (f.name === 'mount')
        return value
          .split(',')
          .filter((part) => part.startsWith('from='))
          .map((part) => part.slice('from='.length))
      return []
    })
    const shifted = refs.find((ref) => /^\d+$/.test(ref) && Number(ref) >= stage)
    if (shifted !== undefined)
      return (
        `line ${instruction.line} refers to stage number ${shifted}, which a helper stage inserted before ` +
        `line ${ctx.dockerfile.stages[stage]?.from.line} would shift`
      )
  }
  return undefined
}

/** Where a stage inserted before `stage` goes: above its FROM line and the comments right above it. */
export function insertionPoint(ctx: RuleContext, stage: StageNode): number {
  const {text, dockerfile} = ctx
  const lineStart = (offset: number) => Math.max(text.lastIndexOf('\n', offset - 1), text.lastIndexOf('\r', offset - 1)) + 1
  const floor = Math.max(
    dockerfile.bom,
    dockerfile.instructions[stage.from.index - 1]?.range[1] ?? 0,
    ...dockerfile.directives.map((d) => d.valueRange[1]),
  )
  let at = Math.max(lineStart(stage.from.range[0]), floor)
  while (at > floor) {
    const previous = lineStart(text[at - 1] === '\n' && text[at - 2] === '\r' ? at - 2 : at - 1)
    if (previous < floor || !/^\s*#/.test(text.slice(previous, at))) break
    at = previous
  }
  return at
}

/** A line that keeps symlinks through the helper stage of its own stage, once that stage's helper is settled. */
export interface Pending {
  instruction: InstructionNode
  plan: Plan
  /** X as the helper's FROM can name it (a stage name or an image as the build pulls it), if it can. */
  fromRef?: string
  /** X as a bind mount's `from=` names it. */
  mountRef: string
  listing: TreeEntry[]
  note: string
}

export const jsonArgs = (args: string[]) => `[${args.map((a) => JSON.stringify(a)).join(', ')}]`

/** The helper stage for the pending lines of one stage, and the directory each of their levels lands in. */
export function helperStage(
  name: string,
  cpBase: {fromRef: string; cp: string},
  pendings: Pending[],
  newline: string,
): {text: string; dirs: Map<LinkLevel, string>} {
  const dirs = new Map<LinkLevel, string>()
  const lines = [
    `# dbuild exclude-root: the symlinks next to excluded paths, which a COPY cannot name`,
    `FROM ${cpBase.fromRef} AS ${name}`,
    'USER 0:0',
  ]
  for (const pending of pendings) {
    for (const level of pending.plan.levels) {
      const dir = `${LINKS_DIR}/${dirs.size}/`
      dirs.set(level, dir)
      const sources = level.links.map((link) => SOURCE_MOUNT + link)
      lines.push(
        `WORKDIR ${dir}`,
        `RUN --mount=type=bind,from=${pending.mountRef},target=${SOURCE_MOUNT} ${jsonArgs([cpBase.cp, '-RPp', ...sources, dir])}`,
      )
    }
  }
  return {text: lines.join(newline) + newline + newline, dirs}
}
