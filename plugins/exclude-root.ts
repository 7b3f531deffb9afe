/**
 * exclude-root (seed 001): `COPY --from=X --exclude=/path <dir> <dest>` fails on frontends without
 * --exclude and, where it exists, on trees with broken symlinks. It becomes one COPY per entry of
 * X's tree along the excluded paths, built from X's listing as BuildKit exports it.
 *
 * A symlink next to an excluded path cannot be copied by its own path (BuildKit follows a COPY
 * source, and a broken one fails), but a symlink inside a copied directory is kept. So when X has
 * a `cp`, a helper stage inserted before the line's stage copies those links with `cp -RPp` from
 * a read-only bind mount of X into one directory per level, and one COPY per level brings them over.
 */
import {atLeast, copyPaths, type Edit, flag, flags, frontendOf, isFactError, type Finding, type InstructionNode, parseVersion, type Rule, type RuleContext, type Severity, stageByRef, type StageNode, type TreeEntry} from '../src/rewrite/index.js'

const ID = 'exclude-root'
const WILDCARD = /[*?[\]]/
/** Characters a rewritten path cannot carry without BuildKit reading them as a pattern or a variable. */
// Quotes too: BuildKit's frontends read a quote inside a COPY operand, the JSON form included, as
// shell quoting ("looking for matching single-quote"), and a control character cannot stand in a line.
const UNSAFE = /[*?[\]$\\`'"]|\p{Cc}/u
/** What a COPY of a directory by its path creates it as: BuildKit copies the contents, not the directory. */
const CREATED_DIR_MODE = 0o755
/** Where the helper stage looks for cp, in X's tree; the first that resolves to an executable wins. */
const CP_CANDIDATES = ['/bin/cp', '/usr/bin/cp']
const HELPER_PREFIX = 'dbuild-links-'
const LINKS_DIR = '/dbuild-links'
/** Where X is bind-mounted in the helper's RUN, so that RUN's own mounts (/etc/hosts, /dev, …) are not what cp sees. */
const SOURCE_MOUNT = '/dbuild-src'

function candidates(ctx: RuleContext): InstructionNode[] {
  return ctx.dockerfile.instructions.filter((i) => i.keyword === 'COPY' && flag(i, 'from')?.value && flags(i, 'exclude').length > 0)
}

const trim = (p: string) => p.replace(/^\/+|\/+$/g, '')

/** A path as Go's filepath.Clean writes it, which is how BuildKit's pattern matcher reads an --exclude. */
export function cleanPattern(pattern: string): string {
  const absolute = pattern.startsWith('/')
  const out: string[] = []
  for (const part of pattern.split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..' && out.length > 0 && out[out.length - 1] !== '..') out.pop()
    else if (part !== '..' || !absolute) out.push(part)
  }
  const joined = out.join('/')
  return absolute ? `/${joined}` : joined || '.'
}

/**
 * BuildKit matches --exclude against paths relative to the COPY source, without a leading slash:
 * a pattern that starts with `/` or `..` once cleaned matches nothing (moby/patternmatcher).
 */
const matchesNothing = (pattern: string) => pattern.startsWith('/') || pattern === '..' || pattern.startsWith('../')
const join = (...parts: string[]) => parts.filter(Boolean).join('/')

function quote(source: string, dest: string): string {
  return /[\s"']/.test(source + dest) ? JSON.stringify([source, dest]).replace('","', '", "') : `${source} ${dest}`
}

/** Symlinks next to the excluded paths in one directory of X, and where that directory lands. */
interface LinkLevel {
  dest: string
  links: string[]
}

interface Plan {
  /** Each COPY's source and destination, quoted; `COPY` and the line's flags go before them (copyLines). */
  copies: string[]
  symlinks: string[]
  levels: LinkLevel[]
  /** Directories the rewrite creates with a different mode or owner than X has. */
  reshaped: string[]
  /** Entries whose names BuildKit would read as a pattern or a variable. */
  unsafe: string[]
}

/** Walks X's tree along the excluded paths: every other entry becomes one COPY, but symlinks are gathered per directory. */
function plan(entries: TreeEntry[], source: string, dest: string, excludes: string[], chowned: boolean): Plan | {why: string} {
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
  const result: Plan = {copies: [], symlinks: [], levels: [], reshaped: [], unsafe: []}
  const destOf = (path: string) => '/' + join(trim(dest), path.slice(root.length).replace(/^\//, ''))
  const isDefaultDir = (entry: TreeEntry) => entry.mode === CREATED_DIR_MODE && (chowned || (entry.uid === 0 && entry.gid === 0))
  const visit = (dir: string) => {
    const level: LinkLevel = {dest: destOf(dir).replace(/\/?$/, '/'), links: []}
    result.levels.push(level)
    for (const entry of [...(children.get(dir) ?? [])].sort((a, b) => (a.path < b.path ? -1 : 1))) {
      if (excluded.has(entry.path)) continue
      if (walked.has(entry.path) && entry.type === 'dir') {
        if (!isDefaultDir(entry)) result.reshaped.push(`/${entry.path}`)
        visit(entry.path)
        continue
      }
      if (entry.type === 'symlink') {
        // copied inside a helper directory, so its name is never read as a pattern
        result.symlinks.push(`/${entry.path}`)
        level.links.push(`/${entry.path}`)
        if (UNSAFE.test(level.dest)) result.unsafe.push(`/${entry.path}`)
        continue
      }
      if (UNSAFE.test(entry.path + destOf(entry.path))) result.unsafe.push(`/${entry.path}`)
      if (entry.type === 'dir' && !isDefaultDir(entry)) result.reshaped.push(`/${entry.path}`)
      result.copies.push(quote(...notGit(entry, '/' + entry.path, destOf(entry.path))))
    }
  }
  visit(root)
  result.levels = result.levels.filter((level) => level.links.length > 0)
  return result
}

/**
 * A COPY source ending in `.git` is refused as a git repository ("source can't be a git ref for
 * COPY", BuildKit before dfgitutil): a directory is named with its trailing slash, a file with its
 * last letter as a one-character class, which matches only itself.
 */
function notGit(entry: TreeEntry, source: string, dest: string): [string, string] {
  if (!source.endsWith('.git')) return [source, dest]
  return entry.type === 'dir' ? [`${source}/`, `${dest}/`] : [`${source.slice(0, -1)}[t]`, dest]
}

/** The entry a path names in X's tree, following symlinks the way the kernel would. */
function resolvePath(byPath: Map<string, TreeEntry>, path: string): TreeEntry | undefined {
  let pending = path.split('/').filter(Boolean)
  let walked: string[] = []
  for (let hops = 0; pending.length > 0 && hops < 40; ) {
    const [name = '', ...rest] = pending
    pending = rest
    if (name === '.') continue
    if (name === '..') {
      walked.pop()
      continue
    }
    const entry = byPath.get([...walked, name].join('/'))
    if (!entry) return undefined
    if (entry.type === 'symlink') {
      hops++
      const target = entry.linkname ?? ''
      if (target.startsWith('/')) walked = []
      pending = [...target.split('/').filter(Boolean), ...pending]
      continue
    }
    walked.push(name)
    if (pending.length === 0) return entry
  }
  return undefined
}

/**
 * The line's flags but --exclude, each followed by a space, `--from` replaced by `from` when given.
 * As the build gets them (ctx.asBuilt: image-mirror's `--from=<mirror>` kept) for a fix, whose edit
 * is then marked asBuilt; as written for a suggestion the user pastes into the file.
 */
function carriedFlags(ctx: RuleContext, instruction: InstructionNode, asBuilt: boolean, from?: string): string {
  return instruction.flags
    .filter((f) => f.name !== 'exclude')
    .map((f) => (f.name === 'from' && from !== undefined ? `--from=${from}` : asBuilt ? ctx.asBuilt(f.range) : ctx.text.slice(f.range[0], f.range[1])) + ' ')
    .join('')
}

const copyLines = (copies: string[], flags: string) => copies.map((copy) => `COPY ${flags}${copy}`)

/** X as the build pulls it when it is an image: image-mirror's rewrite of the `--from` value (ctx.asBuilt), else X expanded. */
function pulledImage(ctx: RuleContext, instruction: InstructionNode, expanded: string): string {
  const range = flag(instruction, 'from')?.valueRange
  if (!range) return expanded
  const built = ctx.asBuilt(range)
  return built === ctx.text.slice(range[0], range[1]) ? expanded : built
}

/** The cp the helper stage runs, if X has one. */
function findCp(listing: TreeEntry[]): string | undefined {
  const byPath = new Map(listing.map((entry) => [entry.path, entry]))
  return CP_CANDIDATES.find((candidate) => {
    const entry = resolvePath(byPath, candidate)
    return entry?.type === 'file' && (entry.mode & 0o111) !== 0
  })
}

/** A line whose numeric stage reference (`--from=2`, `--mount=…,from=2`) a stage inserted before `stage` would shift. */
function shiftedReference(ctx: RuleContext, stage: number): string | undefined {
  for (const instruction of ctx.dockerfile.instructions.filter((i) => i.stage >= stage)) {
    const refs = instruction.flags.flatMap((f) => {
      const value = ctx.expand(instruction, f.value ?? '').value
      if (f.name === 'from' && (instruction.keyword === 'COPY' || instruction.keyword === 'ADD')) return [value]
      if (f.name === 'mount') return value.split(',').filter((part) => part.startsWith('from=')).map((part) => part.slice('from='.length))
      return []
    })
    const shifted = refs.find((ref) => /^\d+$/.test(ref) && Number(ref) >= stage)
    if (shifted !== undefined) return `line ${instruction.line} refers to stage number ${shifted}, which a helper stage inserted before line ${ctx.dockerfile.stages[stage]?.from.line} would shift`
  }
  return undefined
}

/** Where a stage inserted before `stage` goes: above its FROM line and the comments right above it. */
function insertionPoint(ctx: RuleContext, stage: StageNode): number {
  const {text, dockerfile} = ctx
  const lineStart = (offset: number) => Math.max(text.lastIndexOf('\n', offset - 1), text.lastIndexOf('\r', offset - 1)) + 1
  const floor = Math.max(dockerfile.bom, dockerfile.instructions[stage.from.index - 1]?.range[1] ?? 0, ...dockerfile.directives.map((d) => d.valueRange[1]))
  let at = Math.max(lineStart(stage.from.range[0]), floor)
  while (at > floor) {
    const previous = lineStart(text[at - 1] === '\n' && text[at - 2] === '\r' ? at - 2 : at - 1)
    if (previous < floor || !/^\s*#/.test(text.slice(previous, at))) break
    at = previous
  }
  return at
}

/** A line that keeps symlinks through the helper stage of its own stage, once that stage's helper is settled. */
interface Pending {
  instruction: InstructionNode
  plan: Plan
  /** X as the helper's FROM can name it (a stage name or an image as the build pulls it), if it can. */
  fromRef?: string
  /** X as a bind mount's `from=` names it. */
  mountRef: string
  listing: TreeEntry[]
  note: string
}

const jsonArgs = (args: string[]) => `[${args.map((a) => JSON.stringify(a)).join(', ')}]`

/** The helper stage for the pending lines of one stage, and the directory each of their levels lands in. */
function helperStage(name: string, cpBase: {fromRef: string; cp: string}, pendings: Pending[], newline: string): {text: string; dirs: Map<LinkLevel, string>} {
  const dirs = new Map<LinkLevel, string>()
  const lines = [`# dbuild exclude-root: the symlinks next to excluded paths, which a COPY cannot name`, `FROM ${cpBase.fromRef} AS ${name}`, 'USER 0:0']
  for (const pending of pendings) {
    for (const level of pending.plan.levels) {
      const dir = `${LINKS_DIR}/${dirs.size}/`
      dirs.set(level, dir)
      const sources = level.links.map((link) => SOURCE_MOUNT + link)
      lines.push(`WORKDIR ${dir}`, `RUN --mount=type=bind,from=${pending.mountRef},target=${SOURCE_MOUNT} ${jsonArgs([cpBase.cp, '-RPp', ...sources, dir])}`)
    }
  }
  return {text: lines.join(newline) + newline + newline, dirs}
}

/** The BuildKit release whose daemon copies a tree with broken symlinks under --exclude (moby/buildkit#6220) and whose built-in frontend is dockerfile 1.19. */
const FIXED_BUILDKIT = [0, 25, 0] as const
const FIX = 'moby/buildkit#6220, BuildKit v0.25.0'

/** Whether the rewrite is needed on this builder with this frontend, how sure dbuild is, and why. */
export interface ExcludeSupport {
  needed: boolean
  severity: Severity
  why: string
}

/**
 * Whether the `# syntax=` frontend has --exclude: labs from dockerfile 1.7, stable from 1.19 (moby/buildkit#6232).
 * A floating tag (1, latest, labs) is today's release, which has it; anything else dbuild cannot tell.
 */
export function frontendHasExclude(syntax: string): boolean | undefined {
  const at = syntax.indexOf('@')
  const name = at === -1 ? syntax : syntax.slice(0, at)
  const colon = name.lastIndexOf(':')
  const repo = colon > name.lastIndexOf('/') ? name.slice(0, colon) : name
  // a digest without a tag pins a release dbuild cannot name
  if (colon <= name.lastIndexOf('/') && at !== -1) return undefined
  const tag = colon > name.lastIndexOf('/') ? name.slice(colon + 1) : 'latest'
  if (!/(^|\/)dockerfile(-upstream)?$/.test(repo)) return undefined
  if (['latest', 'labs', 'master', 'master-labs'].includes(tag)) return true
  const match = /^1(?:\.(\d+))?(?:\.\d+)?(-labs)?$/.exec(tag)
  if (!match) return undefined
  if (match[1] === undefined) return true
  return Number(match[1]) >= (match[2] ? 7 : 19)
}

/** Decides from the builder's BuildKit version and the frontend (BUILDKIT_SYNTAX, else `# syntax=`), saying which one decided and why. */
export function excludeSupport(ctx: RuleContext): ExcludeSupport {
  const chosen = frontendOf(ctx.dockerfile, ctx.buildArgs)
  const syntax = chosen.by === 'builtin' ? undefined : chosen.image
  const by = chosen.by === 'build-arg' ? ' (--build-arg BUILDKIT_SYNTAX, which BuildKit uses before any # syntax= line)' : ''
  const builder = ctx.facts.builder
  const known = builder && !isFactError(builder) ? parseVersion(builder.buildkitVersion)?.parts : undefined
  const builderName = builder && !isFactError(builder) && builder.name ? `builder ${builder.name}` : 'the builder'
  const daemonFixed = known === undefined ? undefined : atLeast(known, FIXED_BUILDKIT)
  const frontend = syntax === undefined ? `${builderName}'s built-in Dockerfile frontend` : `the frontend ${syntax}${by}`
  const frontendHas = syntax === undefined ? daemonFixed : frontendHasExclude(syntax)
  if (frontendHas === false) {
    return {needed: true, severity: 'error', why: `${frontend} has no --exclude (labs from dockerfile 1.7, stable from 1.19)`}
  }
  if (daemonFixed === false) {
    return {needed: true, severity: 'error', why: `${builderName} runs BuildKit ${builder && !isFactError(builder) ? builder.buildkitVersion : ''}, which fails on broken symlinks under --exclude (fixed by ${FIX})`}
  }
  if (daemonFixed === true && frontendHas === true) {
    const from = builder && !isFactError(builder) && builder.buildkitFrom && builder.reported !== builder.buildkitVersion ? ` (${builder.buildkitFrom})` : ''
    return {needed: false, severity: 'info', why: `${builderName} runs BuildKit ${builder && !isFactError(builder) ? builder.buildkitVersion : ''}${from} (≥ v0.25.0, which copies broken symlinks under --exclude: ${FIX}) and ${frontend} has --exclude`}
  }
  const unknownBuilder =
    builder === undefined ? (ctx.facts.unavailable ?? 'it was not asked') : isFactError(builder) ? builder.error : (builder.buildkitFrom ?? `it reports ${builder.reported ?? 'none'}`)
  const parts = [
    ...(daemonFixed === undefined ? [`the builder's BuildKit version is unknown (${unknownBuilder}), so dbuild cannot tell whether it has the broken-symlink fix (${FIX})`] : []),
    ...(frontendHas === undefined && syntax !== undefined ? [`dbuild cannot tell whether ${frontend} has --exclude`] : []),
  ]
  // where plain buildx may well build the line, a rewrite could change the image: unsure leaves it alone
  return {needed: false, severity: 'warning', why: `${parts.join('; ')}, and does not rewrite on a guess`}
}

export const rule: Rule = {
  id: ID,
  description: 'COPY --from=X --exclude=… <dir> <dest> needs a frontend with --exclude and breaks on broken symlinks; copy each entry along the excluded paths instead (symlinks next to them through a helper stage).',
  defaultSeverity: 'error',
  needs(ctx) {
    const lines = candidates(ctx)
    if (lines.length === 0) return []
    // first the builder: a stage's tree is probed only where the builder or frontend needs the rewrite
    if (ctx.facts.builder === undefined && ctx.facts.unavailable === undefined) return [{kind: 'builder' as const}]
    if (!excludeSupport(ctx).needed) return []
    return lines.flatMap((instruction) => {
      const from = ctx.expand(instruction, flag(instruction, 'from')?.value ?? '')
      const excludes = flags(instruction, 'exclude').map((e) => ctx.expand(instruction, e.value ?? '').value)
      if (from.unresolved.length > 0 || excludes.some((e) => WILDCARD.test(e)) || copyPaths(instruction, ctx.text)?.sources.length !== 1) return []
      if (excludes.map(cleanPattern).every(matchesNothing)) return []
      return [{kind: 'listing' as const, instruction, from: from.value}]
    })
  },
  check(ctx) {
    const findings: Finding[] = []
    const lines = candidates(ctx)
    if (lines.length === 0) return findings
    const support = excludeSupport(ctx)
    if (!support.needed) {
      return lines.map((instruction) => ({ruleId: ID, severity: support.severity, line: instruction.line, message: `COPY --exclude is left as it is: ${support.why}.`}))
    }
    // a config that turned the rule to "warn" lowers an error, never raises an info or warning
    const severity = support.severity === 'error' ? ctx.severity : support.severity
    const findingBase = (instruction: InstructionNode) => ({ruleId: ID, severity, line: instruction.line})
    const unsure = (instruction: InstructionNode, why: string, suggestion?: string) =>
      findings.push({...findingBase(instruction), message: `COPY --exclude may fail here: ${support.why}. dbuild left the line unchanged: ${why}.`, ...(suggestion ? {suggestion} : {})})
    const fixed = (instruction: InstructionNode, result: Plan, note: string, edits: Edit[], links = '') =>
      findings.push({
        ...findingBase(instruction),
        message: `COPY --exclude may fail here: ${support.why}. Rewritten into ${result.copies.length + result.levels.length} COPY lines along the excluded paths.${links}${note}`,
        fix: edits,
      })
    const pendingByStage = new Map<number, Pending[]>()
    for (const instruction of lines) {
      const excludes = flags(instruction, 'exclude').map((e) => ctx.expand(instruction, e.value ?? '').value)
      const paths = copyPaths(instruction, ctx.text)
      const from = ctx.expand(instruction, flag(instruction, 'from')?.value ?? '')
      if (excludes.some((e) => WILDCARD.test(e))) {
        findings.push({...findingBase(instruction), severity: 'warning', message: `--exclude with a wildcard (${excludes.filter((e) => WILDCARD.test(e)).join(', ')}) is left alone: dbuild rewrites only plain paths.`})
        continue
      }
      const cleaned = excludes.map(cleanPattern)
      if (cleaned.includes('.')) {
        unsure(instruction, `--exclude=${excludes[cleaned.indexOf('.')]} names the source itself`)
        continue
      }
      if (cleaned.every(matchesNothing)) {
        const edits = flags(instruction, 'exclude').map((f): Edit => {
          let end = f.range[1]
          while (ctx.text[end] === ' ' || ctx.text[end] === '\t') end++
          return {range: [f.range[0], end], text: ''}
        })
        findings.push({
          ...findingBase(instruction),
          message: `COPY --exclude may fail here: ${support.why}. BuildKit matches --exclude against paths relative to the source, so ${excludes.map((e) => `--exclude=${e}`).join(', ')} (a leading / or ..) excludes nothing: the line is rewritten without it, which copies the same.`,
          fix: edits,
        })
        continue
      }
      if (!paths || paths.sources.length !== 1) {
        unsure(instruction, 'it has more than one source')
        continue
      }
      if (from.unresolved.length > 0) {
        unsure(instruction, `--from uses ${from.unresolved.map((v) => `$${v}`).join(', ')}, which is not set`)
        continue
      }
      const [source = ''] = paths.sources.map((s) => ctx.expand(instruction, s).value)
      const dest = ctx.expand(instruction, paths.dest).value
      if (!source.startsWith('/') || !dest.startsWith('/')) {
        unsure(instruction, 'dbuild rewrites only absolute source and destination paths')
        continue
      }
      const listing = ctx.facts.listings.get(from.value)
      if (listing === undefined || isFactError(listing)) {
        unsure(instruction, `the tree of ${from.value} is unknown: ${listing?.error ?? ctx.facts.unavailable ?? 'it was not probed'}`)
        continue
      }
      const result = plan(listing, source, dest, cleaned.filter((e) => !matchesNothing(e)), flag(instruction, 'chown') !== undefined)
      if ('why' in result) {
        unsure(instruction, result.why)
        continue
      }
      if (result.copies.length + result.levels.length === 0) {
        unsure(instruction, 'nothing is left to copy')
        continue
      }
      if (result.unsafe.length > 0) {
        unsure(instruction, `some names hold characters BuildKit would read as a pattern or variable: ${result.unsafe.join(', ')}`, copyLines(result.copies, carriedFlags(ctx, instruction, false)).join('\n'))
        continue
      }
      const note = result.reshaped.length > 0 ? ` Note: ${result.reshaped.join(', ')} will be created with mode 0755${flag(instruction, 'chown') ? '' : ' owned by root'}, as BuildKit creates a directory copied by path.` : ''
      if (result.levels.length === 0) {
        fixed(instruction, result, note, [{range: instruction.range, text: copyLines(result.copies, carriedFlags(ctx, instruction, true)).join(ctx.dockerfile.newline), asBuilt: true}])
        continue
      }
      const stage = stageByRef(ctx.dockerfile, from.value, instruction.stage)
      const pending: Pending = {instruction, plan: result, mountRef: stage ? (stage.name ?? String(stage.index)) : pulledImage(ctx, instruction, from.value), listing, note}
      if (!stage || stage.name) pending.fromRef = stage?.name ?? pending.mountRef
      pendingByStage.set(instruction.stage, [...(pendingByStage.get(instruction.stage) ?? []), pending])
    }

    // Symlinks next to the excluded paths: one helper stage per stage holding such lines.
    for (const [stageIndex, pendings] of pendingByStage) {
      const stage = ctx.dockerfile.stages[stageIndex]
      const name = `${HELPER_PREFIX}${stageIndex}`
      const cpBase = pendings.flatMap((p) => {
        const cp = p.fromRef === undefined ? undefined : findCp(p.listing)
        return cp && p.fromRef ? [{fromRef: p.fromRef, cp}] : []
      })[0]
      const blocked = !stage
        ? 'the line is outside any stage'
        : !cpBase
          ? `${pendings.map((p) => p.mountRef).join(', ')} ${pendings.length === 1 ? 'has' : 'have'} no ${CP_CANDIDATES.join(' or ')} (or is an unnamed stage) to copy them with in a helper stage`
          : ctx.dockerfile.stages.some((s) => s.name === name)
            ? `a stage is already named ${name}`
            : shiftedReference(ctx, stageIndex)
      if (!stage || !cpBase || blocked) {
        for (const {instruction, plan: {symlinks, copies}} of pendings) {
          const what = `${symlinks.join(', ')} ${symlinks.length === 1 ? 'is a symlink' : 'are symlinks'} next to an excluded path`
          unsure(instruction, `${what}, BuildKit follows a symlink given as a COPY source (a broken one fails), and ${blocked ?? 'no helper stage can be made'}`, copyLines(copies, carriedFlags(ctx, instruction, false)).join('\n'))
        }
        continue
      }
      const helper = helperStage(name, cpBase, pendings, ctx.dockerfile.newline)
      const at = insertionPoint(ctx, stage)
      for (const pending of pendings) {
        const {instruction} = pending
        const viaHelper = carriedFlags(ctx, instruction, true, name)
        const linkLines = pending.plan.levels.map((level) => `COPY ${viaHelper}${quote(helper.dirs.get(level) ?? '', level.dest)}`)
        const links = ` The symlinks ${pending.plan.symlinks.join(', ')} are kept: helper stage ${name} copies them out of ${pending.mountRef} with cp -RPp.`
        fixed(instruction, pending.plan, pending.note, [{range: [at, at], text: helper.text}, {range: instruction.range, text: [...copyLines(pending.plan.copies, carriedFlags(ctx, instruction, true)), ...linkLines].join(ctx.dockerfile.newline), asBuilt: true}], links)
      }
    }
    return findings
  },
}

export default rule
