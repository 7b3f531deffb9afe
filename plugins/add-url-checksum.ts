/** Lint: ADD <url> without --checksum downloads whatever the URL serves today. */
import {copyPaths, flag, isHeredocSource, type Finding, type Rule} from '../src/rewrite/index.js'

const ID = 'add-url-checksum'

/**
 * An http(s) URL ADD downloads, as opposed to a git repository: BuildKit (dfgitutil.ParseGitRef)
 * takes an http(s) URL whose path ends in `.git` as git, whatever its `?ref=`, `?commit=`,
 * `&keep-git-dir=1` query or `#ref` fragment; a git source is pinned by its commit, not --checksum.
 */
export function isDownload(source: string): boolean {
  let url: URL
  try {
    url = new URL(source)
  } catch {
    return false
  }
  return (url.protocol === 'http:' || url.protocol === 'https:') && !url.pathname.endsWith('.git')
}

export const rule: Rule = {
  id: ID,
  description: 'ADD <url> without --checksum: the content (and the cache key) changes whenever the server changes it.',
  defaultSeverity: 'warning',
  check(ctx) {
    const findings: Finding[] = []
    for (const instruction of ctx.dockerfile.instructions) {
      if (instruction.keyword !== 'ADD' || flag(instruction, 'checksum')) continue
      // a heredoc's body is text written into the image, not a source, whatever it holds
      const sources = (copyPaths(instruction, ctx.text)?.sources ?? []).filter((source) => !isHeredocSource(source))
      // as BuildKit reads them: quotes removed, variables expanded
      const urls = sources.map((source) => ctx.expand(instruction, source).value).filter(isDownload)
      if (urls.length === 0) continue
      const original = ctx.text.slice(instruction.range[0], instruction.range[1])
      findings.push({
        ruleId: ID,
        severity: ctx.severity,
        line: instruction.line,
        message:
          `ADD ${urls.join(' ')} has no --checksum: the download is not verified and a changed file goes ` +
          `unnoticed. Add --checksum=sha256:<digest of the file>.`,
        ...(urls.length === 1 ? {suggestion: original.replace(/^ADD(\s+)/i, 'ADD --checksum=sha256:<digest>$1')} : {}),
      })
    }
    return findings
  },
}

export default rule
