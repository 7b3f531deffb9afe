/**
 * `dbuild build --help` (and `dbuild help build`, `dbuild build -h`, `dbuild --help` after buildx
 * flags): the usage with both forms, dbuild's own flags and the installed buildx's flags. Printed
 * without oclif, whose help would show `dbuild build` with no arguments and no buildx flag.
 */
import {execFile} from 'node:child_process'

import {BUILDX_BUILD_FLAGS} from '../buildx/flags.js'
import {PLUGINS_NOTE} from '../config.js'

export const BUILD_SUMMARY = 'Build with docker buildx: stage a permission-normalized context, rewrite risky Dockerfile lines, add the cache list.'

export const BUILD_USAGE = ['dbuild build [buildx flags] PATH | URL | -', 'dbuild [buildx flags] PATH | URL | -'] as const

export const BUILD_DESCRIPTION = `dbuild stages a copy of the context with canonical modes (files 644 or 755, directories 755) so COPY/ADD checksums match on every machine (a context that is already canonical is used directly), rewrites risky Dockerfile lines into a copy beside the stage, adds the project's --cache-from list from .dbuild.json (and its cacheTo list in CI or with --export-cache, when the builder can export it), and hands everything else to buildx unchanged. buildx's exit code and signals pass through; nothing of dbuild's own is printed with -q, --progress=quiet or --progress=rawjson.

${PLUGINS_NOTE}`

/** dbuild's own build flags, as [spelling, what it does]. */
export const OWN_BUILD_FLAGS: ReadonlyArray<readonly [string, string]> = [
  ['--dry-run', 'stage and rewrite, print the docker command as one shell-quoted line, build nothing'],
  ['--no-stage', 'build from the context as it is'],
  ['--no-rewrite', 'use the Dockerfile as it is'],
  ['--config FILE', 'use FILE instead of the .dbuild.json found from the context up to the git root'],
  ['--export-cache', 'add .dbuild.json cacheTo outside CI too'],
  ['--manifest FILE', 'write the context manifest for dbuild explain (in CI: beside the stage) and annotate the image with its digest'],
  ['--[no-]plugins', 'run (or not) the rule plugins .dbuild.json lists; default: not run, or DBUILD_PLUGINS=1'],
]

export const BUILD_EXAMPLES = ['dbuild -t app:dev .', 'dbuild build --push -t registry.example.com/app:latest --cache-to type=inline .', 'dbuild build --dry-run -f docker/Dockerfile .']

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

export async function buildHelp(env: NodeJS.ProcessEnv = process.env, width = Math.max(40, Math.min(process.stdout.columns || 80, 100))): Promise<string> {
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
    installed === undefined ? 'BUILDX FLAGS (docker buildx build --help could not be read; the flags dbuild knows)' : 'BUILDX FLAGS (from the installed docker buildx build --help)',
    installed ?? tableOptions(width),
    '',
    'EXAMPLES',
    ...BUILD_EXAMPLES.map((example) => `  $ ${example}`),
    '',
  ].join('\n')
}
