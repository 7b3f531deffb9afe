import {statSync} from 'node:fs'
import path from 'node:path'

import {compareCodeUnits} from '../compare.js'
import {applyFixes} from './apply.js'
import {expandAt, variableScopes} from './expand.js'
import {parseDockerfile} from './parse.js'
import {gatherFacts} from './probes.js'
import type {Facts, Finding, RewriteOptions, RewriteResult, Rule, RuleContext} from './types.js'

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
  const scopes = variableScopes(dockerfile, options.buildArgs, options.platform)
  const facts: Facts = {accounts: new Map(), listings: new Map()}
  const contextFor = (rule: Rule): RuleContext => ({
    file: options.file,
    text: options.text,
    dockerfile,
    config: options.config,
    severity: rule.defaultSeverity,
    expand: (instruction, word) => expandAt(dockerfile, scopes, instruction, word),
    facts,
    ...(options.target ? {target: options.target} : {}),
    ...(options.platform ? {platform: options.platform} : {}),
  })

  const requests = rules.flatMap((rule) => rule.needs?.(contextFor(rule)) ?? [])
  const given = options.facts ?? {}
  const missing = requests.filter((request) =>
    request.kind === 'accounts' ? !given.accounts?.has(request.instruction.line) : !given.listings?.has(request.from),
  )
  const probeOptions = options.docker ? {docker: options.docker, buildArgs: options.buildArgs, platform: options.platform, cacheDir: options.cacheDir} : undefined
  const probed = await gatherFacts(dockerfile, given.unavailable ? [] : missing, probeOptions)
  facts.accounts = new Map([...probed.accounts, ...(given.accounts ?? [])])
  facts.listings = new Map([...probed.listings, ...(given.listings ?? [])])
  const unavailable = given.unavailable ?? probed.unavailable
  if (unavailable) facts.unavailable = unavailable
  const contextKind = given.contextKind ?? (options.docker ? contextKinds(options.docker.contextDir) : undefined)
  if (contextKind) facts.contextKind = contextKind

  const findings: Finding[] = []
  for (const rule of rules) {
    const ctx = contextFor(rule)
    const silenced = silencedLines(ctx).get(rule.id)
    for (const finding of rule.check(ctx)) {
      if (!silenced?.has(finding.line)) findings.push(finding)
    }
  }
  findings.sort((a, b) => a.line - b.line || compareCodeUnits(a.ruleId, b.ruleId))
  const {text, bytes, dropped} = applyFixes(options.text, findings, options.bytes)
  return {text, bytes, changed: text !== options.text, findings, dropped}
}
