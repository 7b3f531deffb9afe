/** Lint: --chmod looks like a cure for cache misses from local file modes, but is not one. */
import {flag, type Finding, type Rule} from '../src/rewrite/index.js'

const ID = 'chmod-not-cache-fix'

export const rule: Rule = {
  id: ID,
  description: '--chmod does not make COPY/ADD cache hits independent of local file modes: BuildKit checksums the files before the chmod.',
  defaultSeverity: 'info',
  check(ctx) {
    const findings: Finding[] = []
    for (const instruction of ctx.dockerfile.instructions) {
      if ((instruction.keyword !== 'COPY' && instruction.keyword !== 'ADD') || !flag(instruction, 'chmod') || flag(instruction, 'from')) continue
      findings.push({
        ruleId: ID,
        severity: ctx.severity,
        line: instruction.line,
        message: '--chmod sets the modes in the image, but the cache key is the checksum of the context files taken before the chmod, so a different umask or checkout still misses the cache. dbuild build stages the context with normalized modes; keep --chmod only if the image needs those modes.',
      })
    }
    return findings
  },
}

export default rule
