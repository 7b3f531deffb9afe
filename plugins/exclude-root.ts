/**
 * exclude-root (seed 001): `COPY --from=X --exclude=/path <dir> <dest>` fails on frontends without
 * --exclude and, where it exists, on trees with broken symlinks. It becomes one COPY per entry of
 * X's tree along the excluded paths, built from X's listing as BuildKit exports it.
 */
import {copyPaths, flag, flags, isFactError, type Finding, type InstructionNode, type Rule, type RuleContext, type TreeEntry} from '../src/rewrite/index.js'

const ID = 'exclude-root'
const WILDCARD = /[*?[\]]/
/** Characters a rewritten path cannot carry without BuildKit reading them as a pattern or a variable. */
const UNSAFE = /[*?[\]$\\`]/
/** What a COPY of a directory by its path creates it as: BuildKit copies the contents, not the directory. */
const CREATED_DIR_MODE = 0o755

function candidates(ctx: RuleContext): InstructionNode[] {
  return ctx.dockerfile.instructions.filter((i) => i.keyword === 'COPY' && flag(i, 'from')?.value && flags(i, 'exclude').length > 0)
}

const trim = (p: string) => p.replace(/^\/+|\/+$/g, '')
const join = (...parts: string[]) => parts.filter(Boolean).join('/')

function quote(source: string, dest: string): string {
  return /[\s"']/.test(source + dest) ? JSON.stringify([source, dest]).replace('","', '", "') : `${source} ${dest}`
}

interface Plan {
  lines: string[]
  symlinks: string[]
  /** Directories the rewrite creates with a different mode or owner than X has. */
  reshaped: string[]
  /** Entries whose names BuildKit would read as a pattern or a variable. */
  unsafe: string[]
}

/** Walks X's tree along the excluded paths: every other entry becomes one COPY. */
function plan(entries: TreeEntry[], source: string, dest: string, excludes: string[], carried: string, chowned: boolean): Plan | {why: string} {
  const byPath = new Map(entries.map((entry) => [entry.path, entry]))
  const root = trim(source)
  if (root !== '' && byPath.get(root)?.type !== 'dir') return {why: `${source} is not a directory in the source`}
  const excluded = new Set(excludes.map((e) => join(root, trim(e))))
  const walked = new Set<string>([root])
  for (const path of excluded) {
    const parts = path.split('/')
    for (let i = 1; i < parts.length; i++) {
      const ancestor = parts.slice(0, i).join('/')
      if (ancestor.length <= root.length) continue
      const entry = byPath.get(ancestor)
      if (entry?.type === 'symlink') return {why: `/${ancestor} is a symlink, so an exclude below it cannot be walked`}
      walked.add(ancestor)
    }
  }
  const children = new Map<string, TreeEntry[]>()
  for (const entry of entries) {
    const slash = entry.path.lastIndexOf('/')
    const parent = slash === -1 ? '' : entry.path.slice(0, slash)
    children.set(parent, [...(children.get(parent) ?? []), entry])
  }
  const result: Plan = {lines: [], symlinks: [], reshaped: [], unsafe: []}
  const destOf = (path: string) => '/' + join(trim(dest), path.slice(root.length).replace(/^\//, ''))
  const isDefaultDir = (entry: TreeEntry) => entry.mode === CREATED_DIR_MODE && (chowned || (entry.uid === 0 && entry.gid === 0))
  const visit = (dir: string) => {
    for (const entry of [...(children.get(dir) ?? [])].sort((a, b) => (a.path < b.path ? -1 : 1))) {
      if (excluded.has(entry.path)) continue
      if (walked.has(entry.path) && entry.type === 'dir') {
        if (!isDefaultDir(entry)) result.reshaped.push(`/${entry.path}`)
        visit(entry.path)
        continue
      }
      if (entry.type === 'symlink') result.symlinks.push(`/${entry.path}`)
      if (UNSAFE.test(entry.path + destOf(entry.path))) result.unsafe.push(`/${entry.path}`)
      if (entry.type === 'dir' && !isDefaultDir(entry)) result.reshaped.push(`/${entry.path}`)
      result.lines.push(`COPY ${carried}${quote('/' + entry.path, destOf(entry.path))}`)
    }
  }
  visit(root)
  return result
}

export const rule: Rule = {
  id: ID,
  description: 'COPY --from=X --exclude=… <dir> <dest> needs a frontend with --exclude and breaks on broken symlinks; copy each entry along the excluded paths instead.',
  defaultSeverity: 'error',
  needs(ctx) {
    return candidates(ctx).flatMap((instruction) => {
      const from = ctx.expand(instruction, flag(instruction, 'from')?.value ?? '')
      const excludes = flags(instruction, 'exclude').map((e) => e.value ?? '')
      if (from.unresolved.length > 0 || excludes.some((e) => WILDCARD.test(e)) || copyPaths(instruction)?.sources.length !== 1) return []
      return [{kind: 'listing' as const, instruction, from: from.value}]
    })
  },
  check(ctx) {
    const findings: Finding[] = []
    for (const instruction of candidates(ctx)) {
      const base = {ruleId: ID, severity: ctx.severity, line: instruction.line}
      const excludeFlags = flags(instruction, 'exclude')
      const excludes = excludeFlags.map((e) => ctx.expand(instruction, e.value ?? '').value)
      const paths = copyPaths(instruction)
      const from = ctx.expand(instruction, flag(instruction, 'from')?.value ?? '')
      const unsure = (why: string, suggestion?: string) =>
        findings.push({...base, message: `COPY --exclude needs a frontend that has it (dockerfile 1.7-labs or 1.19+) and fails on broken symlinks; dbuild left the line unchanged: ${why}.`, ...(suggestion ? {suggestion} : {})})
      if (excludes.some((e) => WILDCARD.test(e))) {
        findings.push({...base, severity: 'warning', message: `--exclude with a wildcard (${excludes.filter((e) => WILDCARD.test(e)).join(', ')}) is left alone: dbuild rewrites only plain paths.`})
        continue
      }
      if (!paths || paths.sources.length !== 1) {
        unsure('it has more than one source')
        continue
      }
      if (from.unresolved.length > 0) {
        unsure(`--from uses ${from.unresolved.map((v) => `$${v}`).join(', ')}, which is not set`)
        continue
      }
      const [source = ''] = paths.sources.map((s) => ctx.expand(instruction, s).value)
      const dest = ctx.expand(instruction, paths.dest).value
      if (!source.startsWith('/') || !dest.startsWith('/')) {
        unsure('dbuild rewrites only absolute source and destination paths')
        continue
      }
      const listing = ctx.facts.listings.get(from.value)
      if (listing === undefined || isFactError(listing)) {
        unsure(`the tree of ${from.value} is unknown: ${listing?.error ?? ctx.facts.unavailable ?? 'it was not probed'}`)
        continue
      }
      const carried = instruction.flags
        .filter((f) => f.name !== 'exclude')
        .map((f) => ctx.text.slice(f.range[0], f.range[1]) + ' ')
        .join('')
      const result = plan(listing, source, dest, excludes, carried, flag(instruction, 'chown') !== undefined)
      if ('why' in result) {
        unsure(result.why)
        continue
      }
      const suggestion = result.lines.join('\n')
      if (result.lines.length === 0) {
        unsure('nothing is left to copy')
        continue
      }
      if (result.unsafe.length > 0) {
        unsure(`some names hold characters BuildKit would read as a pattern or variable: ${result.unsafe.join(', ')}`, suggestion)
        continue
      }
      if (result.symlinks.length > 0) {
        unsure(`${result.symlinks.join(', ')} ${result.symlinks.length === 1 ? 'is a symlink' : 'are symlinks'} next to an excluded path, and BuildKit follows a symlink given as a COPY source (a broken one fails), so no per-entry COPY keeps it`, suggestion)
        continue
      }
      const reshaped = result.reshaped.length > 0 ? ` Note: ${result.reshaped.join(', ')} will be created with mode 0755${flag(instruction, 'chown') ? '' : ' owned by root'}, as BuildKit creates a directory copied by path.` : ''
      findings.push({
        ...base,
        message: `COPY --exclude needs a frontend that has it and fails on broken symlinks; rewritten into ${result.lines.length} COPY lines along the excluded paths.${reshaped}`,
        fix: [{range: instruction.range, text: result.lines.join(ctx.dockerfile.newline)}],
      })
    }
    return findings
  },
}

export default rule
