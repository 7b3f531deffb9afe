/**
 * Lint: the context holds `.git` and an instruction copies it (`COPY . /app` with no .dockerignore
 * line for it). Every clone's .git differs (index, refs, packs, hooks), and a Git URL context has
 * none at all (build-push-action's default), so that step can never hit a cache made elsewhere.
 */
import {copyPaths, flag, flags, type Finding, isHeredocSource, type Rule} from '../src/rewrite/index.js'

const ID = 'git-in-context'
const REMOTE = /^([a-z][a-z0-9+.-]*:\/\/|git@)/i

/** A source as BuildKit cleans it: no leading `./` or `/`, `.` for the whole context. */
function cleaned(source: string): string {
  const parts = source.split('/').filter((part) => part !== '' && part !== '.')
  return parts.join('/') || '.'
}

/** A first path component pattern (BuildKit's filepath.Match wildcards) as a RegExp. */
function componentPattern(component: string): RegExp {
  let source = '^'
  for (let i = 0; i < component.length; i++) {
    const ch = component[i] as string
    if (ch === '*') source += '.*'
    else if (ch === '?') source += '.'
    else if (ch === '[') {
      const end = component.indexOf(']', i + 1)
      if (end === -1) return /$^/
      source += `[${component
        .slice(i + 1, end)
        .replace(/^\^/, '^')
        .replace(/^!/, '^')}]`
      i = end
    } else if (ch === '\\') source += `\\${component[++i] ?? '\\'}`
    else source += ch.replace(/[.+^$(){}|]/g, '\\$&')
  }
  return new RegExp(`${source}$`)
}

/** Whether a COPY/ADD or bind-mount source from the context takes `.git` with it. */
export function readsGit(source: string): boolean {
  const clean = cleaned(source)
  if (clean === '.' || clean === '..') return true
  const first = clean.split('/')[0] as string
  return first === '.git' || (/[*?[]/.test(first) && componentPattern(first).test('.git'))
}

/** The context sources of an instruction: COPY/ADD without --from, RUN --mount=type=bind without from=. */
function contextSources(instruction: Parameters<typeof flag>[0], text: string, expand: (word: string) => string): string[] {
  if (instruction.keyword === 'COPY' || instruction.keyword === 'ADD') {
    if (flag(instruction, 'from')) return []
    return (copyPaths(instruction, text)?.sources ?? []).filter((source) => !isHeredocSource(source) && !REMOTE.test(source)).map(expand)
  }
  if (instruction.keyword !== 'RUN') return []
  return flags(instruction, 'mount').flatMap((mount) => {
    const fields = new Map(
      expand(mount.value ?? '')
        .split(',')
        .map((field) => {
          const eq = field.indexOf('=')
          return eq === -1
            ? ([field.trim().toLowerCase(), 'true'] as const)
            : ([field.slice(0, eq).trim().toLowerCase(), field.slice(eq + 1).trim()] as const)
        }),
    )
    if ((fields.get('type') ?? 'bind') !== 'bind' || fields.has('from')) return []
    return [fields.get('source') ?? fields.get('src') ?? '.']
  })
}

export const rule: Rule = {
  id: ID,
  description: "An instruction copies the context's .git: that step never hits a cache made from another clone or from a Git URL context.",
  defaultSeverity: 'warning',
  check(ctx) {
    // only a context that holds .git and sends it: the .dockerignore line is the fix, so it is the test
    if (!ctx.facts.contextSends?.('.git')) return []
    const findings: Finding[] = []
    for (const instruction of ctx.dockerfile.instructions) {
      const sources = contextSources(instruction, ctx.text, (word) => ctx.expand(instruction, word).value)
      const source = sources.find(readsGit)
      if (source === undefined) continue
      findings.push({
        ruleId: ID,
        severity: ctx.severity,
        line: instruction.line,
        message:
          `${source === '.' || cleaned(source) === '.' ? 'the whole context' : source} includes .git, which ` +
          `differs in every clone and is absent from a Git URL context: ` +
          'this step never hits a cache made elsewhere. Add this line to .dockerignore: .git',
      })
    }
    return findings
  },
}

export default rule
