/**
 * `dbuild build --help` (and `dbuild help build`, `dbuild build -h`, `dbuild --help` after buildx
 * flags): the usage with both forms, dbuild's own flags and the installed buildx's flags. Printed
 * without oclif, whose help would show `dbuild build` with no arguments and no buildx flag.
 */
import {execFile} from 'node:child_process'

import {BUILDX_BUILD_FLAGS} from '../buildx/flags.js'
import {BUILD_DESCRIPTION, BUILD_EXAMPLES, BUILD_SUMMARY, BUILD_USAGE, OWN_BUILD_FLAGS} from './command-table.js'

/** The `Options:` section of the installed `docker buildx build --help`, indented by two; undefined without buildx. */
function installedOptions(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('docker', ['buildx', 'build', '--help'], {env, timeout: 15_000, encoding: 'utf8'}, (error, stdout) => {
      if (error) return resolve(undefined)
      const lines = stdout.split('\n')
      const start = lines.findIndex((line) => /^(Options|Flags):\s*$/.test(line))
      if (start === -1) return resolve(undefined)
      const section: string[] = []
      for (const line of lines.slice(start + 1)) {
        if (line.trim() !== '' && !line.startsWith(' ')) break
        section.push(line)
      }
      while (section.at(-1)?.trim() === '') section.pop()
      resolve(section.map((line) => (line ? `  ${line.replace(/^ {2}/, '')}` : line)).join('\n'))
    })
  })
}

/** The table's flags as `--long`/`-s, --long` words wrapped under an indent, when buildx cannot say. */
function tableOptions(width: number): string {
  const words = BUILDX_BUILD_FLAGS.map((flag) => `${flag.short ? `-${flag.short}/` : ''}--${flag.long}${flag.value ? ' VALUE' : ''}`)
  const lines: string[] = []
  let line = ' '
  for (const word of words) {
    if (line.length + word.length + 2 > width && line.trim()) {
      lines.push(line.replace(/,$/, ','))
      line = ' '
    }
    line += ` ${word},`
  }
  lines.push(line.replace(/,$/, ''))
  return lines.join('\n')
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(/\s+/)) {
    if (line && line.length + word.length + 1 > width) {
      lines.push(line)
      line = word
    } else line = line ? `${line} ${word}` : word
  }
  if (line) lines.push(line)
  return lines
}

export async function buildHelp(
  env: NodeJS.ProcessEnv = process.env,
  width = Math.max(40, Math.min(process.stdout.columns || 80, 100)),
): Promise<string> {
  const ownWidth = Math.max(...OWN_BUILD_FLAGS.map(([spelling]) => spelling.length))
  const installed = await installedOptions(env)
  return [
    BUILD_SUMMARY,
    '',
    'USAGE',
    ...BUILD_USAGE.map((usage) => `  $ ${usage}`),
    '',
    '  A drop-in for docker buildx build: every buildx flag is accepted, before or after the context,',
    '  and passed through in order (no -- needed). The second form is the same command.',
    '',
    'DESCRIPTION',
    ...wrap(BUILD_DESCRIPTION, width - 2).map((line) => `  ${line}`),
    '',
    'DBUILD FLAGS',
    ...OWN_BUILD_FLAGS.map(([spelling, text]) => `  ${spelling.padEnd(ownWidth)}  ${text}`),
    '',
    installed === undefined
      ? 'BUILDX FLAGS (docker buildx build --help could not be read; the flags dbuild knows)'
      : 'BUILDX FLAGS (from the installed docker buildx build --help)',
    installed ?? tableOptions(width),
    '',
    'EXAMPLES',
    ...BUILD_EXAMPLES.map((example) => `  $ ${example}`),
    '',
  ].join('\n')
}
