/**
 * exclude-root: `COPY --from=X --exclude=/path <dir> <dest>` fails on frontends without
 * --exclude and, where it exists, on trees with broken symlinks. It becomes one COPY per entry of
 * X's tree along the excluded paths, built from X's listing as BuildKit exports it.
 *
 * A symlink next to an excluded path cannot be copied by its own path (BuildKit follows a COPY
 * source, and a broken one fails), but a symlink inside a copied directory is kept. So when X has
 * a `cp`, a helper stage inserted before the line's stage copies those links with `cp -RPp` from
 * a read-only bind mount of X into one directory per level, and one COPY per level brings them over.
 */
import {
  copyPaths,
  type Edit,
  flag,
  flags,
  type Finding,
  type InstructionNode,
  isFactError,
  type Rule,
  type RuleContext,
  stageByRef,
} from '../src/rewrite/index.js'

import {
  CP_CANDIDATES,
  findCp,
  HELPER_PREFIX,
  helperStage,
  insertionPoint,
  type Pending,
  shiftedReference,
} from './exclude-root/helper-stage.js'
import {cleanPattern, matchesNothing, type Plan, plan, quote} from './exclude-root/plan.js'
import {type ExcludeSupport, excludeSupport} from './exclude-root/support.js'

const ID = 'exclude-root'
const WILDCARD = /[*?[\]]/

function candidates(ctx: RuleContext): InstructionNode[] {
  return ctx.dockerfile.instructions.filter((i) => i.keyword === 'COPY' && flag(i, 'from')?.value && flags(i, 'exclude').length > 0)
}

/**
 * COPY or ADD --exclude from the build context (no --from). Before v0.25.0 BuildKit computes such a
 * copy's checksum by following every symlink in the copied tree (the same path a wildcard source
 * takes), so one that does not resolve inside the context fails the build. dbuild reports these
 * lines and leaves them alone: splitting a context copy would change its layers and cache keys.
 */
function contextCopies(ctx: RuleContext): InstructionNode[] {
  return ctx.dockerfile.instructions.filter(
    (i) => (i.keyword === 'COPY' || i.keyword === 'ADD') && flag(i, 'from') === undefined && flags(i, 'exclude').length > 0,
  )
}

function contextCopyFinding(ctx: RuleContext, instruction: InstructionNode, support: ExcludeSupport): Finding {
  const base = {ruleId: ID, line: instruction.line}
  if (!support.needed)
    return {...base, severity: support.severity, message: `${instruction.keyword} --exclude is left as it is: ${support.why}.`}
  if (support.cause === 'frontend') {
    return {
      ...base,
      severity: ctx.severity,
      message: `${instruction.keyword} --exclude fails here: ${support.why}. dbuild does not rewrite a copy from the build context.`,
    }
  }
  return {
    ...base,
    severity: 'warning',
    message:
      `${instruction.keyword} --exclude from the build context fails here if a symlink in the copied tree does not resolve inside the context: ${support.why}` +
      ' (under --exclude that BuildKit follows every symlink of the tree to checksum the copy). dbuild ' +
      'leaves a copy from the context as it is; leave such links out with .dockerignore.',
  }
}

/**
 * The line's flags but --exclude, each followed by a space, `--from` replaced by `from` when given.
 * As the build gets them (ctx.asBuilt: image-mirror's `--from=<mirror>` kept) for a fix, whose edit
 * is then marked asBuilt; as written for a suggestion the user pastes into the file.
 */
function carriedFlags(ctx: RuleContext, instruction: InstructionNode, asBuilt: boolean, from?: string): string {
  return instruction.flags
    .filter((f) => f.name !== 'exclude')
    .map(
      (f) =>
        (f.name === 'from' && from !== undefined
          ? `--from=${from}`
          : asBuilt
            ? ctx.asBuilt(f.range)
            : ctx.text.slice(f.range[0], f.range[1])) + ' ',
    )
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

export const rule: Rule = {
  id: ID,
  description:
    'COPY --from=X --exclude=… <dir> <dest> needs a frontend with --exclude and breaks on broken ' +
    'symlinks; copy each entry along the excluded paths instead (symlinks next to them through a helper stage).',
  defaultSeverity: 'error',
  needs(ctx) {
    const lines = candidates(ctx)
    if (lines.length === 0 && contextCopies(ctx).length === 0) return []
    // first the builder: a stage's tree is probed only where the builder or frontend needs the rewrite
    if (ctx.facts.builder === undefined && ctx.facts.unavailable === undefined) return [{kind: 'builder' as const}]
    if (!excludeSupport(ctx).needed) return []
    return lines.flatMap((instruction) => {
      const from = ctx.expand(instruction, flag(instruction, 'from')?.value ?? '')
      const excludes = flags(instruction, 'exclude').map((e) => ctx.expand(instruction, e.value ?? '').value)
      if (from.unresolved.length > 0 || excludes.some((e) => WILDCARD.test(e)) || copyPaths(instruction, ctx.text)?.sources.length !== 1)
        return []
      if (excludes.map(cleanPattern).every(matchesNothing)) return []
      return [{kind: 'listing' as const, instruction, from: from.value}]
    })
  },
  check(ctx) {
    const lines = candidates(ctx)
    const fromContext = contextCopies(ctx)
    if (lines.length === 0 && fromContext.length === 0) return []
    const support = excludeSupport(ctx)
    const findings: Finding[] = fromContext.map((instruction) => contextCopyFinding(ctx, instruction, support))
    if (lines.length === 0) return findings
    if (!support.needed) {
      findings.push(
        ...lines.map((instruction) => ({
          ruleId: ID,
          severity: support.severity,
          line: instruction.line,
          message: `COPY --exclude is left as it is: ${support.why}.`,
        })),
      )
      return findings.sort((a, b) => a.line - b.line)
    }
    // a config that turned the rule to "warn" lowers an error, never raises an info or warning
    const severity = support.severity === 'error' ? ctx.severity : support.severity
    const findingBase = (instruction: InstructionNode) => ({ruleId: ID, severity, line: instruction.line})
    const unsure = (instruction: InstructionNode, why: string, suggestion?: string) =>
      findings.push({
        ...findingBase(instruction),
        message: `COPY --exclude may fail here: ${support.why}. dbuild left the line unchanged: ${why}.`,
        ...(suggestion ? {suggestion} : {}),
      })
    const fixed = (instruction: InstructionNode, result: Plan, note: string, edits: Edit[], links = '') =>
      findings.push({
        ...findingBase(instruction),
        message:
          `COPY --exclude may fail here: ${support.why}. Rewritten into ` +
          `${result.copies.length + result.levels.length} COPY lines along the excluded paths.${links}${note}`,
        fix: edits,
      })
    const pendingByStage = new Map<number, Pending[]>()
    for (const instruction of lines) {
      const excludes = flags(instruction, 'exclude').map((e) => ctx.expand(instruction, e.value ?? '').value)
      const paths = copyPaths(instruction, ctx.text)
      const from = ctx.expand(instruction, flag(instruction, 'from')?.value ?? '')
      if (excludes.some((e) => WILDCARD.test(e))) {
        findings.push({
          ...findingBase(instruction),
          severity: 'warning',
          message: `--exclude with a wildcard (${excludes.filter((e) => WILDCARD.test(e)).join(', ')}) is left alone: dbuild rewrites only plain paths.`,
        })
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
          message:
            `COPY --exclude may fail here: ${support.why}. BuildKit matches --exclude against paths relative to ` +
            `the source, so ${excludes.map((e) => `--exclude=${e}`).join(', ')} (a leading / or ..) excludes ` +
            `nothing: the line is rewritten without it, which copies the same.`,
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
      const result = plan(
        listing,
        source,
        dest,
        cleaned.filter((e) => !matchesNothing(e)),
        flag(instruction, 'chown') !== undefined,
      )
      if ('why' in result) {
        unsure(instruction, result.why)
        continue
      }
      if (result.copies.length + result.levels.length === 0) {
        unsure(instruction, 'nothing is left to copy')
        continue
      }
      if (result.unsafe.length > 0) {
        unsure(
          instruction,
          `some names hold characters BuildKit would read as a pattern or variable: ${result.unsafe.join(', ')}`,
          copyLines(result.copies, carriedFlags(ctx, instruction, false)).join('\n'),
        )
        continue
      }
      const note =
        result.reshaped.length > 0
          ? ` Note: ${result.reshaped.join(', ')} will be created with mode ` +
            `0755${flag(instruction, 'chown') ? '' : ' owned by root'}, as BuildKit creates a directory copied by path.`
          : ''
      if (result.levels.length === 0) {
        fixed(instruction, result, note, [
          {
            range: instruction.range,
            text: copyLines(result.copies, carriedFlags(ctx, instruction, true)).join(ctx.dockerfile.newline),
            asBuilt: true,
          },
        ])
        continue
      }
      const stage = stageByRef(ctx.dockerfile, from.value, instruction.stage)
      const pending: Pending = {
        instruction,
        plan: result,
        mountRef: stage ? (stage.name ?? String(stage.index)) : pulledImage(ctx, instruction, from.value),
        listing,
        note,
      }
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
          ? `${pendings.map((p) => p.mountRef).join(', ')} ${pendings.length === 1 ? 'has' : 'have'} no ` +
            `${CP_CANDIDATES.join(' or ')} (or is an unnamed stage) to copy them with in a helper stage`
          : ctx.dockerfile.stages.some((s) => s.name === name)
            ? `a stage is already named ${name}`
            : shiftedReference(ctx, stageIndex)
      if (!stage || !cpBase || blocked) {
        for (const {
          instruction,
          plan: {symlinks, copies},
        } of pendings) {
          const what = `${symlinks.join(', ')} ${symlinks.length === 1 ? 'is a symlink' : 'are symlinks'} next to an excluded path`
          unsure(
            instruction,
            `${what}, BuildKit follows a symlink given as a COPY source (a broken one fails), and ${blocked ?? 'no helper stage can be made'}`,
            copyLines(copies, carriedFlags(ctx, instruction, false)).join('\n'),
          )
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
        fixed(
          instruction,
          pending.plan,
          pending.note,
          [
            {range: [at, at], text: helper.text},
            {
              range: instruction.range,
              text: [...copyLines(pending.plan.copies, carriedFlags(ctx, instruction, true)), ...linkLines].join(ctx.dockerfile.newline),
              asBuilt: true,
            },
          ],
          links,
        )
      }
    }
    return findings.sort((a, b) => a.line - b.line)
  },
}

export default rule
