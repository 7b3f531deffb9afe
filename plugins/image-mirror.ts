/**
 * image-mirror: image references — `# syntax=`, FROM, COPY --from=<image>,
 * RUN --mount=…,from=<image> — are rewritten to the mirrors in .dbuild.json; with no mirror for
 * them, Docker Hub dependencies that break builds when Hub does are reported.
 *
 * The frontend a `--build-arg BUILDKIT_SYNTAX=IMAGE` picks wins over the `# syntax=` line, and no
 * edit of the file can change it: its mirror is a buildArgFix, which `dbuild build` and `bake` pass
 * to buildx in place of the user's value (lint and rewrite say which value to pass).
 */
import {
  flag,
  flags,
  frontendOf,
  namedContextOf,
  stageByRef,
  SYNTAX_BUILD_ARG,
  type Edit,
  type Finding,
  type InstructionNode,
  type Rule,
  type RuleContext,
} from '../src/rewrite/index.js'

const ID = 'image-mirror'
const COPY_HELPER = 'docker.io/docker/dockerfile-copy'

interface Reference {
  /** The reference as written (after variable expansion). */
  written: string
  range: [number, number]
  line: number
  where: string
  /** The instruction it is on; none for `# syntax=`. */
  instruction?: InstructionNode
}

/** docker.io/library/name form of an image name (without tag or digest). */
export function normalizeName(name: string): string {
  const first = name.split('/')[0] ?? ''
  const hasRegistry = name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')
  if (hasRegistry) return name
  return name.includes('/') ? `docker.io/${name}` : `docker.io/library/${name}`
}

/** Splits `name[:tag][@digest]`. */
function splitReference(reference: string): {name: string; suffix: string} {
  const at = reference.indexOf('@')
  const beforeDigest = at === -1 ? reference : reference.slice(0, at)
  const colon = beforeDigest.lastIndexOf(':')
  const nameEnd = colon > beforeDigest.lastIndexOf('/') ? colon : beforeDigest.length
  return {name: reference.slice(0, nameEnd), suffix: reference.slice(nameEnd)}
}

const underPrefix = (name: string, prefix: string) => name === prefix || name.startsWith(`${prefix}/`)

/** A registry host as a reference's first component can name it: a dotted name or localhost, with an optional port. */
const HOST = /^(localhost|[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+|\[[0-9A-Fa-f:]+\])(:\d+)?$/
/** A repository path as the reference grammar spells it: lower-case components separated by slashes. */
const PATH = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/

/**
 * What a `mirrors` key matches: a bare registry host (ghcr.io, mcr.microsoft.com, quay.io,
 * registry.k8s.io, docker.io) every image on that host; a repository (docker.io/library/ubuntu,
 * ghcr.io/org, or a Docker Hub name such as ubuntu) that repository and everything below it.
 * A key that can never match a reference says why.
 */
export function mirrorKey(from: string): {prefix: string} | {never: string} {
  const key = from.replace(/\/+$/, '')
  if (key === '') return {never: 'it is empty'}
  if (key.includes('://')) return {never: 'image references have no scheme (write ghcr.io, not https://ghcr.io)'}
  if (key.includes('@')) return {never: 'a key names a repository, not a digest'}
  const slash = key.indexOf('/')
  const first = slash === -1 ? key : key.slice(0, slash)
  if (HOST.test(first) && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    if (slash === -1) return {prefix: first === 'index.docker.io' ? 'docker.io' : first}
    const path = key.slice(slash + 1)
    if (!PATH.test(path))
      return {
        never: path.includes(':') ? 'a key names a repository, not a tag' : `"${path}" is not a repository path (lower case, no wildcards)`,
      }
    return {prefix: normalizeName(key)}
  }
  if (!PATH.test(key))
    return {
      never: key.includes(':')
        ? 'a key names a repository, not a tag'
        : `"${key}" is neither a registry host nor a repository name (lower case, no wildcards)`,
    }
  return {prefix: normalizeName(key)}
}

/** The mirrored reference (tag and digest kept), or undefined when no mirror prefix matches. */
export function mirrorReference(reference: string, mirrors: Record<string, string>): string | undefined {
  const {name, suffix} = splitReference(reference)
  // already mirrored: rewriting again must change nothing
  if (Object.values(mirrors).some((to) => underPrefix(name, to.replace(/\/+$/, '')))) return undefined
  const normalized = normalizeName(name)
  let best: {key: string; to: string} | undefined
  for (const [from, to] of Object.entries(mirrors)) {
    const key = mirrorKey(from)
    if (!('prefix' in key)) continue
    if (underPrefix(normalized, key.prefix) && (!best || key.prefix.length > best.key.length)) best = {key: key.prefix, to}
  }
  return best && best.to.replace(/\/+$/, '') + normalized.slice(best.key.length) + suffix
}

/** Neither scratch, a stage, nor a named context of the build (BuildKit reads those before pulling any image). */
function isImage(ctx: RuleContext, instruction: InstructionNode, ref: string): boolean {
  if (ref === '' || ref.toLowerCase() === 'scratch' || namedContextOf(ref, ctx.buildContexts) !== undefined) return false
  return !stageByRef(ctx.dockerfile, ref, instruction.stage + (instruction.keyword === 'FROM' ? 0 : 1))
}

/**
 * Flags a builder's built-in frontend may lack (labs features, or ones stable only in recent
 * dockerfile releases: --parents and --exclude are 1.7-labs, stable only from 1.19/1.20), so
 * dropping the `# syntax=` line that pins a newer frontend can break the build.
 */
const RECENT_FLAGS: Record<string, string[]> = {COPY: ['parents', 'exclude'], ADD: ['parents', 'exclude'], RUN: ['security', 'device']}

/** Why the file needs the frontend its `# syntax=` line names, or undefined when the built-in one has what it uses. */
function newerFrontendNeeds(ctx: RuleContext, syntax: string): string | undefined {
  if (/labs/i.test(syntax)) return `it asks for a labs frontend (${syntax})`
  for (const instruction of ctx.dockerfile.instructions) {
    const used = (RECENT_FLAGS[instruction.keyword] ?? []).find((name) => flag(instruction, name) !== undefined)
    if (used) return `line ${instruction.line} uses ${instruction.keyword} --${used}`
  }
  return undefined
}

/** Every image reference in the file with the range of its text. */
function references(ctx: RuleContext): Reference[] {
  const refs: Reference[] = []
  const syntax = ctx.dockerfile.directives.find((d) => d.name === 'syntax')
  if (syntax) refs.push({written: syntax.value, range: syntax.valueRange, line: syntax.line, where: '# syntax='})
  for (const instruction of ctx.dockerfile.instructions) {
    if (instruction.keyword === 'FROM') {
      const image = instruction.args[0]
      if (image && isImage(ctx, instruction, image.value))
        refs.push({written: image.value, range: image.range, line: instruction.line, where: 'FROM', instruction})
    }
    if (instruction.keyword === 'COPY' || instruction.keyword === 'ADD') {
      const from = flag(instruction, 'from')
      if (from?.value && from.valueRange && isImage(ctx, instruction, from.value))
        refs.push({written: from.value, range: from.valueRange, line: instruction.line, where: 'COPY --from', instruction})
    }
    if (instruction.keyword === 'RUN') {
      for (const mount of flags(instruction, 'mount')) {
        if (!mount.value || !mount.valueRange) continue
        let offset = mount.valueRange[0]
        for (const option of mount.value.split(',')) {
          const value = option.startsWith('from=') ? option.slice(5) : undefined
          if (value && isImage(ctx, instruction, value))
            refs.push({
              written: value,
              range: [offset + 5, offset + 5 + value.length],
              line: instruction.line,
              where: 'RUN --mount from=',
              instruction,
            })
          offset += option.length + 1
        }
      }
    }
  }
  // a mount value split over lines would make the offsets lie: keep only ranges that hold the text
  return refs.filter((ref) => ctx.text.slice(ref.range[0], ref.range[1]) === ref.written)
}

/**
 * The frontend `--build-arg BUILDKIT_SYNTAX=VALUE` picks (its first word, `image`): through a mirror
 * when one matches, the rest of the value kept; else a warning when it comes from Docker Hub.
 */
function buildArgFindings(image: string, value: string, line: number, mirrors: Record<string, string>, ctx: RuleContext): Finding[] {
  if (image === '' || image.includes('$')) return []
  const arg = `--build-arg ${SYNTAX_BUILD_ARG}=${image}`
  const to = mirrorReference(image, mirrors)
  if (to !== undefined) {
    const start = value.indexOf(image)
    const mirrored = value.slice(0, start) + to + value.slice(start + image.length)
    return [
      {
        ruleId: ID,
        severity: 'info',
        line,
        message:
          `${arg} → ${to} (mirror from .dbuild.json; BuildKit uses this arg before any # syntax= line). dbuild ` +
          `build and bake pass the mirrored value; a plain build needs --build-arg ${SYNTAX_BUILD_ARG}=${mirrored}.`,
        buildArgFix: {name: SYNTAX_BUILD_ARG, value: mirrored},
      },
    ]
  }
  if (!normalizeName(splitReference(image).name).startsWith('docker.io/')) return []
  return [
    {
      ruleId: ID,
      severity: ctx.severity,
      line,
      message:
        `${arg} pulls the Dockerfile frontend from Docker Hub on every build (BuildKit uses this arg before ` +
        `any # syntax= line); a Hub outage or rate limit fails the build. Add a mirror in .dbuild.json ` +
        `"mirrors", or drop the build arg to use the builder's built-in frontend.`,
    },
  ]
}

export const rule: Rule = {
  id: ID,
  description:
    'Rewrites image references (# syntax=, FROM, COPY --from, RUN --mount from=) and the frontend ' +
    '--build-arg BUILDKIT_SYNTAX picks to the mirrors in .dbuild.json; warns about Docker Hub ' +
    'dependencies that have no mirror.',
  defaultSeverity: 'warning',
  // the probes (link-chown's users, exclude-root's listings) must pull from the mirror the build pulls from
  resolvesImages: true,
  check(ctx) {
    const mirrors = ctx.config.mirrors ?? {}
    const findings: Finding[] = []
    for (const [from, to] of Object.entries(mirrors)) {
      const key = mirrorKey(from)
      if ('never' in key)
        findings.push({
          ruleId: ID,
          severity: 'warning',
          line: 1,
          message:
            `.dbuild.json "mirrors" key "${from}" (→ ${to}) can never match an image reference: ${key.never}. ` +
            `Use a registry host (ghcr.io), a repository (docker.io/library/ubuntu, ghcr.io/org) or a Docker Hub ` +
            `name (ubuntu).`,
        })
    }
    const unmirrored = new Set<number>()
    const frontend = frontendOf(ctx.dockerfile, ctx.buildArgs)
    if (frontend.by === 'build-arg')
      findings.push(...buildArgFindings(frontend.image, frontend.value, frontend.line?.line ?? 1, mirrors, ctx))
    /** Said of the `# syntax=` line when the build arg overrides it. */
    const overridden = frontend.by === 'build-arg' ? ` (not read by this build: --build-arg ${SYNTAX_BUILD_ARG} overrides it)` : ''
    for (const ref of references(ctx)) {
      const base = {ruleId: ID, severity: ctx.severity, line: ref.line}
      if (ref.written.includes('$')) {
        if (Object.keys(mirrors).length === 0) continue
        // the value it has without --build-arg (a meta ARG's default), to say which mirror covers it
        const expanded = ref.instruction ? ctx.expand(ref.instruction, ref.written) : undefined
        const to = expanded && expanded.unresolved.length === 0 ? mirrorReference(expanded.value, mirrors) : undefined
        const message =
          to && expanded
            ? `${ref.where} ${ref.written} is ${expanded.value} here, which a mirror in .dbuild.json covers (→ ` +
              `${to}); dbuild does not rewrite a variable: pass the mirrored reference as a build arg.`
            : `${ref.where} ${ref.written} uses a variable, so dbuild cannot tell whether a mirror applies; pass the mirrored reference as a build arg.`
        findings.push({...base, severity: 'info', message})
        continue
      }
      const to = mirrorReference(ref.written, mirrors)
      if (to !== undefined) {
        const fix: Edit[] = [{range: ref.range, text: to}]
        findings.push({
          ...base,
          severity: 'info',
          message: `${ref.where} ${ref.written} → ${to} (mirror from .dbuild.json)${ref.where === '# syntax=' ? overridden : ''}.`,
          fix,
        })
        continue
      }
      const normalized = normalizeName(splitReference(ref.written).name)
      // a line the build arg overrides pulls nothing: the arg's own finding says what is pulled
      if (ref.where === '# syntax=' && normalized.startsWith('docker.io/') && !overridden) {
        const needs = newerFrontendNeeds(ctx, ref.written)
        const advice = needs
          ? `Add a mirror in .dbuild.json "mirrors"; keep the line: ${needs}, which the built-in frontend of older builders lacks.`
          : `Add a mirror in .dbuild.json "mirrors" or drop the line to use the builder's built-in frontend.`
        findings.push({
          ...base,
          message:
            `# syntax=${ref.written} pulls the Dockerfile frontend from Docker Hub on every build; a Hub outage ` +
            `or rate limit fails the build. ${advice}`,
        })
        unmirrored.add(ref.line)
      } else if (normalized === COPY_HELPER) {
        findings.push({
          ...base,
          message: `${ref.written} is an unmaintained helper image on Docker Hub; mirror it in .dbuild.json "mirrors".`,
        })
        unmirrored.add(ref.line)
      }
    }
    const mirrorsHelper = mirrorReference(`${COPY_HELPER}:latest`, mirrors) !== undefined
    for (const instruction of ctx.dockerfile.instructions) {
      const text = ctx.text.slice(instruction.range[0], instruction.range[1])
      const base = {ruleId: ID, severity: ctx.severity, line: instruction.line}
      if (!mirrorsHelper && text.includes('docker/dockerfile-copy') && !unmirrored.has(instruction.line)) {
        findings.push({
          ...base,
          message:
            'docker/dockerfile-copy is referenced: an unmaintained helper image pulled from Docker Hub. Mirror it in .dbuild.json "mirrors".',
        })
      }
      if (!mirrorsHelper && /\bBUILDKIT_DISABLE_FILEOP\b/.test(text)) {
        findings.push({
          ...base,
          message:
            'BUILDKIT_DISABLE_FILEOP makes COPY/ADD run in the docker/dockerfile-copy helper image pulled from ' +
            'Docker Hub; remove it, or mirror that image in .dbuild.json "mirrors".',
        })
      }
    }
    return findings
  },
}

export default rule
