/** Lint: --chmod looks like a cure for cache misses from local file modes, but is not one. */
import {copyPaths, flag, isHeredocSource, type Finding, type Rule} from '../src/rewrite/index.js'

const ID = 'chmod-not-cache-fix'
/** Sources that are not files of the build context: URLs (http, git) and remote git forms. */
const REMOTE = /^([a-z][a-z0-9+.-]*:\/\/|git@)/i

export const rule: Rule = {
  id: ID,
  description: '--chmod does not make COPY/ADD cache hits independent of local file modes: BuildKit checksums the files before the chmod.',
  defaultSeverity: 'info',
  check(ctx) {
    const findings: Finding[] = []
    for (const instruction of ctx.dockerfile.instructions) {
      if ((instruction.keyword !== 'COPY' && instruction.keyword !== 'ADD') || !flag(instruction, 'chmod') || flag(instruction, 'from'))
        continue
      // only context files carry the local modes: a heredoc's text and a download have none
      const sources = (copyPaths(instruction, ctx.text)?.sources ?? []).map((source) => ctx.expand(instruction, source).value)
      if (!sources.some((source) => !isHeredocSource(source) && !REMOTE.test(source))) continue
      findings.push({
        ruleId: ID,
        severity: ctx.severity,
        line: instruction.line,
        message:
          '--chmod sets the modes in the image, but the cache key is the checksum of the context files taken ' +
          'before the chmod, so a different umask or checkout still misses the cache. dbuild build stages the ' +
          'context with normalized modes; keep --chmod only if the image needs those modes.',
      })
    }
    return findings
  },
}

export default rule
