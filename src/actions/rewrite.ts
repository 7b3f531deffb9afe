/** `dbuild rewrite`: its body, whichever path runs it (the command table, src/cli/command-table.ts). */
import {writeFileSync} from 'node:fs'
import path from 'node:path'

import {builtinRules} from '../../plugins/index.js'
import type {CommandAction} from './command-io.js'
import {colorEnabled} from '../terminal.js'
import {DbuildError, ExitCode} from '../exit-codes.js'
import {printable} from '../printable.js'
import {type RuleFlags, runRequest} from './rule-request.js'
import {runRules} from '../rewrite/run-rules.js'
import {formatText, unifiedDiff} from '../rewrite/format.js'
import type {Finding} from '../rewrite/index.js'

/** What `dbuild rewrite --json` prints. */
export interface RewriteReport {
  file: string
  changed: boolean
  written: boolean
  text: string
  findings: Finding[]
  dropped: Finding[]
}

export type RewriteFlags = RuleFlags & {diff?: boolean; write?: boolean}

const rewrite: CommandAction<RewriteFlags> = async ({args, flags}, io): Promise<RewriteReport> => {
  const {file, original, result} = await runRules(builtinRules, await runRequest(args.context ?? '.', flags))
  const fixed = new Set(result.findings.filter((finding) => finding.fix && !result.dropped.includes(finding)))
  if (result.findings.length > 0 && !io.json)
    process.stderr.write(formatText(result.findings, file, fixed, colorEnabled(process.stderr)) + '\n')
  for (const finding of result.dropped)
    io.warn(`${file}:${finding.line}: the fix of [${finding.ruleId}] overlaps another fix and was not applied`)
  let written = false
  if (flags.write && result.changed) {
    try {
      writeFileSync(file, result.bytes)
    } catch (error) {
      throw new DbuildError(
        `${file}: cannot write: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        ExitCode.CANT_CREATE,
      )
    }
    written = true
  }
  if (!io.json) {
    // the diff and the Dockerfile are data where they go to a file or a pipe (`git apply`, `> Dockerfile`),
    // byte for byte; on a terminal their control characters are shown escaped, as ls shows a name
    const terminal = process.stdout.isTTY === true
    if (flags.diff) {
      const diff = unifiedDiff(original, result.text, path.relative(process.cwd(), file) || file)
      process.stdout.write(terminal ? printable(diff) : diff)
    } else if (!flags.write) process.stdout.write(terminal ? printable(result.text) : result.bytes)
  }
  return {file, changed: result.changed, written, text: result.text, findings: result.findings, dropped: result.dropped}
}

export default rewrite
