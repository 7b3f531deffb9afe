import {existsSync, lstatSync, readFileSync, statSync} from 'node:fs'
import path from 'node:path'

import {compareCodeUnits} from '../compare.js'
import {IgnoreMatcher, ignoreFileFor, parseIgnoreFile} from '../stage/ignore.js'
import {applyFixes, textWithEdits} from './apply.js'
import {expandAt, variableScopes} from './expand.js'
import {type DockerfileModel, parseDockerfile} from './parse.js'
import type {Edit, FactRequest, Facts, Finding, RewriteOptions, RewriteResult, Rule, RuleContext} from './types.js'

/** Kind of a context path, for rules that care whether a source is a directory. */
function contextKinds(contextDir: string): (source: string) => 'dir' | 'file' | undefined {
  return (source) => {
    try {
      return statSync(path.join(contextDir, source)).isDirectory() ? 'dir' : 'file'
    } catch {
      return undefined
    }
  }
}

/** Whether a top-level context path reaches BuildKit: there, and not left out by the ignore file buildx applies. */
function contextSenders(contextDir: string, dockerfile: string): (name: string) => boolean {
  let matcher: IgnoreMatcher | undefined
  return (name) => {
    if (lstatSync(path.join(contextDir, name), {throwIfNoEntry: false}) === undefined) return false
    try {
      const ignoreFile = ignoreFileFor(contextDir, path.resolve(contextDir, dockerfile))
      matcher ??= new IgnoreMatcher(parseIgnoreFile(existsSync(ignoreFile) ? readFileSync(ignoreFile, 'utf8') : '', ignoreFile))
    } catch {
      return false // an ignore file that cannot be used fails the build with its own error
    }
    return !matcher.match(name, undefined).excluded
  }
}

const MAX_FACT_ROUNDS = 3

const requestKey = (request: FactRequest): string =>
  request.kind === 'builder' ? 'builder' : request.kind === 'accounts' ? `accounts:${request.instruction.line}` : `listing:${request.from}`

/** A rule name as BuildKit's checks spell them (CamelCase) or dbuild does (kebab-case), compared alike. */
const comparableName = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '')

/**
 * The rules BuildKit's own `# check=skip=<name>[,<name>]` directive names (`;`-separated from its
 * other options). Only names match: `skip=all` is BuildKit's switch for its own checks, not dbuild's.
 */
function checkSkips(model: DockerfileModel): Set<string> {
  const value = model.directives.find((directive) => directive.name === 'check')?.value ?? ''
  const skip = value
    .split(';')
    .map((part) => part.trim())
    .find((part) => part.toLowerCase().startsWith('skip='))
  return new Set((skip?.slice('skip='.length).split(',') ?? []).map(comparableName).filter((name) => name !== '' && name !== 'all'))
}

/** Lines silenced per rule id by `# dbuild ignore=` pragmas: every line of the instruction. */
function silencedLines(ctx: RuleContext): Map<string, Set<number>> {
  const silenced = new Map<string, Set<number>>()
  const {text} = ctx
  for (const instruction of ctx.dockerfile.instructions) {
    if (instruction.ignored.length === 0) continue
    const span = text.slice(instruction.range[0], instruction.range[1]).split(/\r\n|\r|\n/).length
    for (const id of instruction.ignored) {
      const lines = silenced.get(id) ?? new Set<number>()
      for (let line = instruction.line; line < instruction.line + span; line++) lines.add(line)
      silenced.set(id, lines)
    }
  }
  return silenced
}

/**
 * Runs `rules` over the Dockerfile text and splices their fixes into the original bytes. Rules
 * first say which BuildKit facts they need; the probes gather those once, then every check()
 * runs pure. Where nothing is fixed the output is the input, byte for byte.
 */
export async function rewriteDockerfile(rules: Rule[], options: RewriteOptions): Promise<RewriteResult> {
  const dockerfile = parseDockerfile(options.text)
  const scopes = variableScopes(dockerfile, options.buildArgs, options.platform, options.target)
  const facts: Facts = {accounts: new Map(), listings: new Map()}
  /** The image-resolving rules' edits, once their findings are in: what asBuilt shows the other rules. */
  let asBuiltEdits: Edit[] = []
  const buildContexts = [...new Set([...(options.buildContexts ?? []), ...Object.keys(options.docker?.buildContexts ?? {})])]
  const contextFor = (rule: Rule): RuleContext => ({
    file: options.file,
    text: options.text,
    dockerfile,
    config: options.config,
    severity: rule.defaultSeverity,
    expand: (instruction, word) => expandAt(dockerfile, scopes, instruction, word),
    asBuilt: (range) => textWithEdits(options.text, range, asBuiltEdits),
    facts,
    buildContexts,
    ...(options.target ? {target: options.target} : {}),
    ...(options.platform ? {platform: options.platform} : {}),
    ...(options.buildArgs ? {buildArgs: options.buildArgs} : {}),
  })

  const skipped = checkSkips(dockerfile)
  /** A rule's findings as the build gets them: none when `# check=skip=` names it, none on lines a pragma silences. */
  const findingsOf = (rule: Rule): Finding[] => {
    if (skipped.has(comparableName(rule.id))) return []
    const ctx = contextFor(rule)
    const silenced = silencedLines(ctx).get(rule.id)
    return rule.check(ctx).filter((finding) => !silenced?.has(finding.line))
  }

  // The rules that decide where images come from (image-mirror) need no facts: their findings come
  // first, and the probes build with the same edits and build args, so a probe pulls what the build
  // pulls (a mirror when the build has one) and its cached answer is keyed on the mirrored text.
  const imageSources = new Map(rules.filter((rule) => rule.resolvesImages).map((rule) => [rule, findingsOf(rule)]))
  const sourceFindings = [...imageSources.values()].flat()
  // One owner decides where an image comes from: a rule that rewrites a line holding an image
  // reference (exclude-root's whole COPY line) keeps image-mirror's edit through ctx.asBuilt, and
  // the applier counts that edit carried, not dropped (see applyFixes).
  asBuiltEdits = sourceFindings.flatMap((finding) => finding.fix ?? [])
  const probeBuildArgs = options.buildArgs && {...options.buildArgs, ...buildArgFixes(sourceFindings, options.buildArgs, [])}

  // Rounds: a rule may ask for one fact only once it knows another (exclude-root needs a stage's
  // tree only where the builder lacks --exclude), so needs() runs again while it asks for more.
  const given = options.facts ?? {}
  const probeOptions = options.docker
    ? {
        docker: options.docker,
        buildArgs: probeBuildArgs,
        platform: options.platform,
        cacheDir: options.cacheDir,
        imageSources: sourceFindings,
      }
    : undefined
  facts.accounts = new Map(given.accounts ?? [])
  facts.listings = new Map(given.listings ?? [])
  if (given.builder) facts.builder = given.builder
  if (given.unavailable) facts.unavailable = given.unavailable
  const contextDir = options.contextDir ?? options.docker?.contextDir
  const contextKind = given.contextKind ?? (contextDir === undefined ? undefined : contextKinds(contextDir))
  if (contextKind) facts.contextKind = contextKind
  const contextSends = given.contextSends ?? (contextDir === undefined ? undefined : contextSenders(contextDir, options.file))
  if (contextSends) facts.contextSends = contextSends
  const asked = new Set<string>()
  for (let round = 0; round < MAX_FACT_ROUNDS; round++) {
    const requests = rules
      .flatMap((rule) => rule.needs?.(contextFor(rule)) ?? [])
      .filter((request) => {
        const key = requestKey(request)
        if (asked.has(key)) return false
        asked.add(key)
        return true
      })
    if (requests.length === 0) break
    const missing = requests.filter((request) =>
      request.kind === 'accounts'
        ? !given.accounts?.has(request.instruction.line)
        : request.kind === 'listing'
          ? !given.listings?.has(request.from)
          : given.builder === undefined,
    )
    const asking = given.unavailable ? [] : missing
    // the probes (docker, execa, crypto) load only when a fact is asked for: a lint without --probe never asks
    const probed: Facts =
      asking.length === 0
        ? {accounts: new Map(), listings: new Map()}
        : await (await import('./probe-builds.js')).gatherFacts(dockerfile, asking, probeOptions)
    facts.accounts = new Map([...facts.accounts, ...probed.accounts, ...(given.accounts ?? [])])
    facts.listings = new Map([...facts.listings, ...probed.listings, ...(given.listings ?? [])])
    const builder = given.builder ?? probed.builder ?? facts.builder
    if (builder) facts.builder = builder
    const unavailable = given.unavailable ?? probed.unavailable ?? facts.unavailable
    if (unavailable) facts.unavailable = unavailable
  }

  const findings = rules.flatMap((rule) => imageSources.get(rule) ?? findingsOf(rule))
  findings.sort((a, b) => a.line - b.line || compareCodeUnits(a.ruleId, b.ruleId))
  const {text, bytes, dropped} = applyFixes(options.text, findings, options.bytes, asBuiltEdits)
  return {
    text,
    bytes,
    changed: text !== options.text,
    findings,
    dropped,
    buildArgs: buildArgFixes(findings, options.buildArgs ?? {}, dropped),
  }
}

/** The findings' buildArgFix, for build args the build was given; of two values for one arg the first wins, the other is dropped. */
function buildArgFixes(findings: Finding[], given: Readonly<Record<string, string>>, dropped: Finding[]): Record<string, string> {
  const changed: Record<string, string> = {}
  for (const finding of findings) {
    const fix = finding.buildArgFix
    if (!fix || given[fix.name] === undefined || given[fix.name] === fix.value) continue
    if (changed[fix.name] === undefined) changed[fix.name] = fix.value
    else if (changed[fix.name] !== fix.value) dropped.push(finding)
  }
  return changed
}
