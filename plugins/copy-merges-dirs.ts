/** Lint: COPY with several directory sources copies their contents merged, not the directories. */
import {copyPaths, flag, isFactError, isHeredocSource, type Finding, type Rule} from '../src/rewrite/index.js'

const ID = 'copy-merges-dirs'

export const rule: Rule = {
  id: ID,
  description: 'COPY with several directory sources merges their contents into the destination instead of copying the directories.',
  defaultSeverity: 'warning',
  check(ctx) {
    const findings: Finding[] = []
    for (const instruction of ctx.dockerfile.instructions) {
      if (instruction.keyword !== 'COPY' && instruction.keyword !== 'ADD') continue
      const paths = copyPaths(instruction, ctx.text)
      if (!paths || paths.sources.length < 2 || flag(instruction, 'parents')) continue
      const sources = paths.sources.filter((source) => !isHeredocSource(source)).map((source) => ctx.expand(instruction, source).value)
      const fromFlag = flag(instruction, 'from')
      const from = fromFlag?.value ? ctx.expand(instruction, fromFlag.value).value : undefined
      const listing = from ? ctx.facts.listings.get(from) : undefined
      const isDir = (source: string): boolean => {
        if (source.endsWith('/') || source === '.') return true
        if (from)
          return Boolean(
            listing && !isFactError(listing) && listing.some((e) => e.type === 'dir' && e.path === source.replace(/^\/+|\/+$/g, '')),
          )
        return ctx.facts.contextKind?.(source) === 'dir'
      }
      const dirs = sources.filter(isDir)
      if (dirs.length < 2) continue
      const keyword = instruction.keyword
      const flagText = instruction.flags.map((f) => ctx.text.slice(f.range[0], f.range[1]) + ' ').join('')
      const dest = paths.dest.endsWith('/') ? paths.dest : `${paths.dest}/`
      findings.push({
        ruleId: ID,
        severity: ctx.severity,
        line: instruction.line,
        message:
          `${keyword} with several directory sources (${dirs.join(', ')}) copies their contents merged into ` +
          `${paths.dest}, not the directories themselves. Use one ${keyword} per directory, or --parents where ` +
          `the frontend has it (dockerfile 1.7-labs, 1.19+).`,
        suggestion: dirs
          .map(
            (dir) =>
              `${keyword} ${flagText}${dir} ${dest}${
                dir
                  .replace(/^\/+|\/+$/g, '')
                  .split('/')
                  .pop() ?? ''
              }`,
          )
          .join('\n'),
      })
    }
    return findings
  },
}

export default rule
