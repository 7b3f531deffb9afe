/** Lint: ADD <url> without --checksum downloads whatever the URL serves today. */
import {copyPaths, flag, type Finding, type Rule} from '../src/rewrite/index.js'

const ID = 'add-url-checksum'
const URL = /^https?:\/\//i
/** Git sources are pinned by commit, not by --checksum. */
const GIT = /\.git(#|$)|^git@/i

export const rule: Rule = {
  id: ID,
  description: 'ADD <url> without --checksum: the content (and the cache key) changes whenever the server changes it.',
  defaultSeverity: 'warning',
  check(ctx) {
    const findings: Finding[] = []
    for (const instruction of ctx.dockerfile.instructions) {
      if (instruction.keyword !== 'ADD' || flag(instruction, 'checksum')) continue
      const urls = (copyPaths(instruction)?.sources ?? []).filter((source) => URL.test(source) && !GIT.test(source))
      if (urls.length === 0) continue
      const original = ctx.text.slice(instruction.range[0], instruction.range[1])
      findings.push({
        ruleId: ID,
        severity: ctx.severity,
        line: instruction.line,
        message: `ADD ${urls.join(' ')} has no --checksum: the download is not verified and a changed file goes unnoticed. Add --checksum=sha256:<digest of the file>.`,
        ...(urls.length === 1 ? {suggestion: original.replace(/^ADD(\s+)/i, 'ADD --checksum=sha256:<digest>$1')} : {}),
      })
    }
    return findings
  },
}

export default rule
