/**
 * `dbuild lint` over many files, as hadolint users expect: every Dockerfile of a repository found
 * with fast-glob (what git ignores left out), or the files named, in one process; one report.
 */
import {readFileSync, statSync} from 'node:fs'
import path from 'node:path'

import {compareCodeUnits} from '../compare.js'
import type {FailureThreshold, LoadedConfig} from '../config.js'
import {DbuildError, ExitCode, readFailureExit} from '../exit-codes.js'
import {fromWorkingDirectory, noWorkingDirectory} from '../working-dir.js'

import type {Finding, Severity} from './types.js'

/** The names a Dockerfile goes by (hadolint's and Podman's): Dockerfile, Dockerfile.*, *.Dockerfile, *.dockerfile, Containerfile. */
export const DOCKERFILE_PATTERNS = ['**/Dockerfile', '**/Dockerfile.*', '**/*.Dockerfile', '**/*.dockerfile', '**/Containerfile']
/**
 * Files that share a Dockerfile's name but are not one: its companions (ignore file, build policy),
 * documentation (docker/cli's man/Dockerfile.5.md) and templates that a generator turns into
 * Dockerfiles (Dockerfile.template, .tmpl, .j2, .in, …).
 */
const NOT_DOCKERFILES =
  /\.(dockerignore|rego|md|markdown|rst|txt|adoc|asciidoc|html?|template|tmpl|tpl|gotmpl|j2|jinja2?|erb|mustache|hbs|in)$/i

/**
 * A template under a Dockerfile's name (dotnet-docker's eng/dockerfile-templates/…/Dockerfile.linux):
 * a line that starts with a `{{` or `{%` placeholder, or a FROM whose image is one. BuildKit would
 * refuse such a line; a `{{` inside a RUN (docker inspect --format '{{.Id}}') is shell text and
 * does not count.
 */
export function looksLikeTemplate(text: string): boolean {
  return /^[ \t]*(\{\{|\{%)/m.test(text) || /^[ \t]*FROM[ \t]+(--\S+[ \t]+)*\S*\{\{/im.test(text)
}

/** Whether a discovered file is a template rather than a Dockerfile (an unreadable one is linted, and its error reported). */
function isTemplateFile(file: string): boolean {
  try {
    return looksLikeTemplate(readFileSync(file, 'latin1'))
  } catch {
    return false
  }
}

/** Paths git ignores, of `files` (relative to `root`); none outside a git work tree. */
async function gitIgnored(root: string, files: string[], env: NodeJS.ProcessEnv): Promise<Set<string>> {
  if (files.length === 0) return new Set()
  // loaded here: `dbuild lint FILE` never asks git, and node:child_process costs its start-up
  const {spawnSync} = await import('node:child_process')
  const run = spawnSync('git', ['check-ignore', '-z', '--stdin'], {
    cwd: root,
    env,
    input: files.join('\0') + '\0',
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  })
  // 0: some are ignored, 1: none, 128: not a git work tree (or no git): nothing is ignored by git
  if (run.status !== 0) return new Set()
  return new Set(run.stdout.split('\0').filter(Boolean))
}

export interface Discovery {
  /** fast-glob patterns relative to the root, left out as its `ignore` option leaves them out. */
  exclude?: string[]
  /** Told each file skipped as a template, relative to the root. */
  skipped?: (file: string) => void
}

/**
 * Every Dockerfile under `root`, relative to it, in code-unit order: fast-glob over the names in
 * DOCKERFILE_PATTERNS (hidden directories such as .devcontainer included, .git and the exclude
 * patterns not), less documentation and templates under those names, then what git ignores is dropped.
 */
export async function findDockerfiles(root: string, env: NodeJS.ProcessEnv = process.env, discovery: Discovery = {}): Promise<string[]> {
  const {default: fg} = await import('fast-glob')
  const ignore = ['**/.git/**', ...(discovery.exclude ?? [])]
  const found = await fg(DOCKERFILE_PATTERNS, {
    cwd: root,
    dot: true,
    onlyFiles: true,
    followSymbolicLinks: false,
    ignore,
    suppressErrors: true,
  })
  const candidates = found.filter((file) => {
    if (NOT_DOCKERFILES.test(file)) return false
    if (!isTemplateFile(path.join(root, file))) return true
    discovery.skipped?.(file)
    return false
  })
  const ignored = await gitIgnored(root, candidates, env)
  return candidates.filter((file) => !ignored.has(file)).sort(compareCodeUnits)
}

/**
 * A config's `lint.exclude` patterns (relative to the config's directory) as patterns relative to
 * the directory linted: prefixed when the config is below it; when it is above, a pattern is kept
 * if it starts with `**` and otherwise only if it names a path inside the directory linted.
 */
export function excludesFrom(patterns: readonly string[], configDir: string, root: string): string[] {
  const posix = (p: string) => p.split(path.sep).join('/')
  const up = posix(path.relative(root, configDir))
  if (up === '') return [...patterns]
  if (up !== '..' && !up.startsWith('../')) return patterns.map((pattern) => `${up}/${pattern}`)
  const down = `${posix(path.relative(configDir, root))}/`
  return patterns.flatMap((pattern) =>
    pattern.startsWith('**') ? [pattern] : pattern.startsWith(down) ? [pattern.slice(down.length)] : [],
  )
}

/** One thing to lint: a Dockerfile and the context directory its rules look at. */
export interface LintTarget {
  file: string
  contextDir: string
}

/**
 * What `dbuild lint [PATH...]` lints: with no path, every Dockerfile under `cwd`; a directory is a
 * build context (its Dockerfile, or `-f`); a file is a Dockerfile whose context is its directory.
 */
export async function lintTargets(
  paths: string[],
  cwd: string | undefined,
  env: NodeJS.ProcessEnv,
  discovery: Discovery = {},
): Promise<LintTarget[]> {
  if (paths.length === 0) {
    if (cwd === undefined) throw noWorkingDirectory('.', 'the directory to lint')
    const files = await findDockerfiles(cwd, env, discovery)
    if (files.length === 0)
      throw new DbuildError(
        `${cwd}: no Dockerfile found (looked for ${DOCKERFILE_PATTERNS.map((p) => p.slice(3)).join(', ')}, skipping what git ignores)`,
        ExitCode.NO_INPUT,
        ['Name the files: dbuild lint FILE...'],
      )
    return files.map((file) => ({file: path.join(cwd, file), contextDir: path.dirname(path.join(cwd, file))}))
  }
  return paths.map((given) => {
    const absolute = fromWorkingDirectory(given, 'a path to lint', cwd)
    let isDir: boolean
    try {
      isDir = statSync(absolute).isDirectory()
    } catch (error) {
      throw new DbuildError(
        `${given}: cannot lint: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        readFailureExit(error),
      )
    }
    return isDir ? {file: path.join(absolute, 'Dockerfile'), contextDir: absolute} : {file: absolute, contextDir: path.dirname(absolute)}
  })
}

const RANK: Record<Severity, number> = {info: 1, warning: 2, error: 3}

/** Whether findings fail the run: any at or above the threshold (none: never). */
export function failsThreshold(findings: readonly Finding[], threshold: FailureThreshold): boolean {
  if (threshold === 'none') return false
  return findings.some((finding) => RANK[finding.severity] >= RANK[threshold])
}

/** The threshold for a file: the flag, else its config's failureThreshold, else error. */
export function thresholdFor(flag: string | undefined, loaded: LoadedConfig): FailureThreshold {
  return (flag as FailureThreshold | undefined) ?? loaded.config.failureThreshold ?? 'error'
}
