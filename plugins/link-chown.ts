/**
 * link-chown: `COPY --link --chown=<name>` fails with "invalid user index: -1" on the
 * containerd image store, where the linked copy has no /etc/passwd to look names up in. The
 * names become the numeric IDs BuildKit gives the original line on the graphdriver store.
 */
import {
  builderFlagWord,
  findGroup,
  findUser,
  flag,
  isFactError,
  type Finding,
  type InstructionNode,
  type Rule,
  type RuleContext,
} from '../src/rewrite/index.js'

const ID = 'link-chown'
const NUMERIC = /^\d+$/
/**
 * IDs from here up are left alone: BuildKit's graphdriver worker gives such a numeric --chown 0:0
 * while the name it stood for gets the real ID, so a rewrite could change the image.
 */
const FIRST_UNSURE_ID = 2 ** 31

function isLinked(instruction: InstructionNode): boolean {
  const link = flag(instruction, 'link')
  return link !== undefined && (link.value === null || link.value === '' || link.value.toLowerCase() === 'true')
}

/** COPY/ADD lines this rule looks at: --link, and a --chown with a value. */
function candidates(ctx: RuleContext): InstructionNode[] {
  return ctx.dockerfile.instructions.filter(
    (i) => (i.keyword === 'COPY' || i.keyword === 'ADD') && isLinked(i) && Boolean(flag(i, 'chown')?.value),
  )
}

function split(chown: string): {user: string; group?: string} {
  const colon = chown.indexOf(':')
  return colon === -1 ? {user: chown} : {user: chown.slice(0, colon), group: chown.slice(colon + 1)}
}

/** Names that need a lookup (config first, then the stage's /etc files). An empty name is ID 0 and needs none. */
function needsLookup(ctx: RuleContext, chown: string): boolean {
  const {user, group} = split(chown)
  const userKnown = user === '' || NUMERIC.test(user) || ctx.config.users?.[user] !== undefined
  const groupKnown = group === undefined || group === '' || NUMERIC.test(group) || ctx.config.groups?.[group] !== undefined
  return !(userKnown && groupKnown)
}

/** BuildKit's reading of the --chown flag when dockerfile-ast split it elsewhere (a quoted space), else undefined. */
function misread(ctx: RuleContext, instruction: InstructionNode): string | undefined {
  const chown = flag(instruction, 'chown')
  if (!chown) return undefined
  const word = builderFlagWord(ctx.text, chown.range[0], ctx.dockerfile.escape)
  return word.end === chown.range[1] ? undefined : word.value.slice(word.value.indexOf('=') + 1)
}

type Resolution = {ids: string} | {why: string}

function resolve(ctx: RuleContext, instruction: InstructionNode, chown: string): Resolution {
  const {user, group} = split(chown)
  const accounts = ctx.facts.accounts.get(instruction.line)
  const factProblem =
    accounts === undefined ? (ctx.facts.unavailable ?? 'the stage was not probed') : isFactError(accounts) ? accounts.error : undefined
  const configured = ctx.config.users?.[user]
  let uid: number | undefined
  let primaryGid: number | undefined
  if (user === '') {
    // BuildKit's LLB sends an empty name as ID 0 (UserOpt.marshal): `--chown=:staff` is root's uid
    uid = 0
    primaryGid = 0
  } else if (NUMERIC.test(user)) {
    // BuildKit: a bare number is uid and gid alike
    uid = Number(user)
    primaryGid = uid
  } else if (configured) {
    const [u, g] = configured.split(':')
    uid = Number(u)
    primaryGid = Number(g)
  } else {
    if (factProblem) return {why: `cannot resolve user "${user}": ${factProblem}`}
    const entry = accounts && !isFactError(accounts) ? findUser(accounts.passwd, user) : undefined
    if (!entry) return {why: `user "${user}" is not in /etc/passwd of this stage at line ${instruction.line} (nor in .dbuild.json "users")`}
    uid = entry.uid
    primaryGid = entry.gid
  }
  let gid = primaryGid
  // an empty group after the colon is ID 0, as an empty user is: `--chown=app:` is app's uid and gid 0
  if (group === '') gid = 0
  else if (group !== undefined) {
    const configuredGroup = ctx.config.groups?.[group]
    if (NUMERIC.test(group)) gid = Number(group)
    else if (configuredGroup !== undefined) gid = Number(configuredGroup)
    else {
      if (factProblem) return {why: `cannot resolve group "${group}": ${factProblem}`}
      const found = accounts && !isFactError(accounts) ? findGroup(accounts.group, group) : undefined
      if (found === undefined)
        return {why: `group "${group}" is not in /etc/group of this stage at line ${instruction.line} (nor in .dbuild.json "groups")`}
      gid = found
    }
  }
  if (uid >= FIRST_UNSURE_ID || gid >= FIRST_UNSURE_ID) {
    return {
      why: `${chown} is ${uid}:${gid}, and BuildKit's graphdriver worker gives a numeric ID of 2^31 or more as 0, so the numeric form could change the owners`,
    }
  }
  return {ids: `${uid}:${gid}`}
}

export const rule: Rule = {
  id: ID,
  description:
    'COPY/ADD --link --chown=<name> fails on the containerd image store ("invalid user index: -1"); use the numeric IDs the name stands for.',
  defaultSeverity: 'error',
  needs(ctx) {
    return candidates(ctx)
      .filter((instruction) => {
        if (misread(ctx, instruction) !== undefined) return false
        const expanded = ctx.expand(instruction, flag(instruction, 'chown')?.value ?? '')
        return expanded.unresolved.length === 0 && needsLookup(ctx, expanded.value)
      })
      .map((instruction) => ({kind: 'accounts' as const, instruction}))
  },
  check(ctx) {
    const findings: Finding[] = []
    for (const instruction of candidates(ctx)) {
      const chown = flag(instruction, 'chown')
      if (!chown?.value || !chown.valueRange) continue
      // dockerfile-ast splits flags at every space; BuildKit keeps a quoted space in the word
      const read = misread(ctx, instruction)
      if (read !== undefined) {
        findings.push({
          ruleId: ID,
          severity: ctx.severity,
          line: instruction.line,
          message:
            `BuildKit reads this flag as --chown=${JSON.stringify(read)}, which is not one user[:group] name; ` +
            `dbuild does not rewrite a value it cannot read as BuildKit does. The line was left unchanged; use ` +
            `numeric IDs (--chown=<uid>:<gid>).`,
        })
        continue
      }
      const expanded = ctx.expand(instruction, chown.value)
      const {user, group} = split(expanded.value)
      // no name in it, nothing to look up: BuildKit builds it on every store as it is
      if ((user === '' || NUMERIC.test(user)) && (group === undefined || group === '' || NUMERIC.test(group))) continue
      const base = {ruleId: ID, severity: ctx.severity, line: instruction.line}
      const original = ctx.text.slice(instruction.range[0], instruction.range[1])
      if (expanded.unresolved.length > 0) {
        findings.push({
          ...base,
          message:
            `--link --chown=${chown.value} uses ${expanded.unresolved.map((v) => `$${v}`).join(', ')}, which is ` +
            `not set; pass --build-arg or give it a default. The line was left unchanged.`,
        })
        continue
      }
      const resolved = resolve(ctx, instruction, expanded.value)
      const valueText = ctx.text.slice(chown.valueRange[0], chown.valueRange[1])
      if ('why' in resolved) {
        findings.push({
          ...base,
          message:
            `--link --chown=${chown.value} names a user or group, which fails on the containerd image store ` +
            `("invalid user index: -1"), and dbuild is unsure of the IDs: ${resolved.why}. The line was left ` +
            `unchanged; use numeric IDs, or map the names in .dbuild.json "users"/"groups".`,
          suggestion: original.replace(`--chown=${valueText}`, '--chown=<uid>:<gid>'),
        })
        continue
      }
      const fix = [{range: chown.valueRange, text: resolved.ids}]
      findings.push({
        ...base,
        message:
          `--link --chown=${chown.value} names a user or group, which fails on the containerd image store ` +
          `("invalid user index: -1"); ${expanded.value} is ${resolved.ids} here.`,
        fix,
        suggestion:
          original.slice(0, chown.valueRange[0] - instruction.range[0]) +
          resolved.ids +
          original.slice(chown.valueRange[1] - instruction.range[0]),
      })
    }
    return findings
  },
}

export default rule
