/**
 * The flags the installed `docker buildx build` knows, read from its `--help`: buildx releases add
 * flags faster than dbuild's table (src/buildx/flags.ts) can follow. Remembered like the buildx
 * version (src/buildx/check.ts): keyed on the files that answer, so a new buildx is asked again.
 */
import {execFile} from 'node:child_process'
import {readFileSync} from 'node:fs'
import path from 'node:path'

import {dbuildCacheDir} from '../cache-dir.js'
import {writeFileAtomic} from '../write-atomic.js'
import {answerKey} from './check.js'
import type {BuildxFlag} from './flags.js'

/** pflag's type words for flags that add to a list. */
const LIST_TYPES = new Set(['stringArray', 'strings', 'stringSlice', 'list', 'ulimit'])

/**
 * Flags out of cobra's help text: `  -t, --tag stringArray   Name…` (a type word means it takes a
 * value), `      --push   Shorthand…` (none: a boolean). Continuation lines start with spaces and no dash.
 */
export function parseHelpFlags(text: string): BuildxFlag[] {
  const flags: BuildxFlag[] = []
  for (const line of text.split('\n')) {
    const match = /^\s+(?:-([A-Za-z0-9]), )?--([A-Za-z0-9][A-Za-z0-9-]*)(?: ([A-Za-z][A-Za-z0-9]*))?(?:\s{2,}|\s*$)/.exec(line)
    if (!match) continue
    const [, short, long, type] = match
    flags.push({
      long: long as string,
      value: type !== undefined,
      repeatable: type !== undefined && LIST_TYPES.has(type),
      ...(short ? {short} : {}),
    })
  }
  return flags
}

function helpOutput(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('docker', ['buildx', 'build', '--help'], {env, timeout: 30_000, encoding: 'utf8'}, (error, stdout) =>
      resolve(error ? undefined : stdout),
    )
  })
}

interface RememberedHelp {
  key: string
  flags: BuildxFlag[]
}

/** The installed buildx's build flags; undefined when docker or buildx cannot say. */
export async function installedBuildFlags(env: NodeJS.ProcessEnv = process.env): Promise<BuildxFlag[] | undefined> {
  const files = answerKey(env)
  if (files === undefined) return undefined
  // experimental flags are listed only with BUILDX_EXPERIMENTAL set
  const key = JSON.stringify([files, env.BUILDX_EXPERIMENTAL ?? ''])
  const file = path.join(dbuildCacheDir(env), 'buildx-build-flags.json')
  try {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as RememberedHelp
    if (saved.key === key && Array.isArray(saved.flags)) return saved.flags
  } catch {
    // none yet, or unreadable: ask buildx
  }
  const text = await helpOutput(env)
  if (text === undefined) return undefined
  const flags = parseHelpFlags(text)
  if (flags.length === 0) return undefined
  try {
    writeFileAtomic(file, JSON.stringify({key, flags} satisfies RememberedHelp))
  } catch {
    // only a speed-up is lost
  }
  return flags
}
