/** Shared test helpers: temp dirs, real git repos checked out under a real umask, buildx runs. */
import {mkdtempSync, mkdirSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {execa} from 'execa'

import type {Daemon} from '../engine/index.js'

interface Teardown {
  teardown(fn: () => void | Promise<void>): void
}

/** A temp directory removed when the test ends. */
export function tempDir(t: Teardown, prefix = 'dbuild-test-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix))
  t.teardown(() => rmSync(dir, {recursive: true, force: true}))
  return dir
}

/** Writes files (relative path → content) below dir. */
export function writeTree(dir: string, files: Record<string, string>): void {
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name)
    mkdirSync(path.dirname(file), {recursive: true})
    writeFileSync(file, content)
  }
}

/** Runs a shell command, failing the test loudly when it fails. */
export async function sh(command: string, options: {cwd?: string; env?: NodeJS.ProcessEnv} = {}): Promise<string> {
  const result = await execa('sh', ['-c', command], {cwd: options.cwd, env: options.env, reject: false, all: true})
  if (result.exitCode !== 0) throw new Error(`sh -c ${JSON.stringify(command)} failed (${result.exitCode}):\n${result.all}`)
  return result.stdout
}

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'dbuild test',
  GIT_AUTHOR_EMAIL: 'test@dbuild.invalid',
  GIT_COMMITTER_NAME: 'dbuild test',
  GIT_COMMITTER_EMAIL: 'test@dbuild.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
}

export function gitEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {...process.env, ...GIT_ENV, ...extra}
}

/** A git repository holding `files` in one commit on branch main. Executable files are listed in `executables`. */
export async function gitRepo(dir: string, files: Record<string, string>, executables: string[] = []): Promise<string> {
  mkdirSync(dir, {recursive: true})
  writeTree(dir, files)
  const env = gitEnv()
  await sh('git init -q -b main . && git config core.fileMode true', {cwd: dir, env})
  for (const file of executables) await sh(`chmod +x ${JSON.stringify(file)}`, {cwd: dir})
  await sh('git add -A && git commit -qm initial', {cwd: dir, env})
  return dir
}

/** `git clone` of `source` into `dest` made under `umask`, as a developer's shell would. */
export async function cloneUnderUmask(source: string, dest: string, umask: string): Promise<string> {
  await sh(`umask ${umask} && git clone -q ${JSON.stringify(source)} ${JSON.stringify(dest)}`, {env: gitEnv()})
  return dest
}

export interface BuildxRun {
  exitCode: number
  /** stdout and stderr interleaved, as a user sees them with --progress=plain */
  output: string
}

/** `docker ARGS` against one test daemon. */
export async function dockerOn(daemon: Daemon, args: string[], options: {cwd?: string; input?: string} = {}): Promise<BuildxRun> {
  const result = await execa('docker', args, {
    cwd: options.cwd,
    env: daemon.env,
    extendEnv: false,
    input: options.input,
    reject: false,
    all: true,
  })
  return {exitCode: result.exitCode ?? 1, output: result.all ?? ''}
}

/** Step names by their number in --progress=plain output, e.g. 7 → `[2/3] RUN …`. */
function stepNames(output: string): Map<string, string> {
  const names = new Map<string, string>()
  for (const line of output.split('\n')) {
    const named = /^#(\d+) (\[.*)$/.exec(line)
    if (named?.[1] && named[2]) names.set(named[1], named[2])
  }
  return names
}

/** The build steps BuildKit reported as CACHED in --progress=plain output, e.g. `[2/3] RUN …`. */
export function cachedSteps(output: string): string[] {
  const names = stepNames(output)
  return [...output.matchAll(/^#(\d+) CACHED$/gm)].map(([, n]) => names.get(n ?? '') ?? `#${n}`)
}

/**
 * The steps whose process actually ran: plain progress prefixes a running step's own output with
 * its elapsed time (`#8 0.061 expensive step`). A step reused from a cache prints none, whether
 * BuildKit labels it CACHED or, while it fetches the cached layers lazily, only DONE.
 */
export function ranSteps(output: string): string[] {
  const names = stepNames(output)
  const ran = new Set([...output.matchAll(/^#(\d+) \d+\.\d+ /gm)].map(([, n]) => n ?? ''))
  return [...ran].map((n) => names.get(n) ?? `#${n}`)
}

/** A unique, valid repository name for images pushed by one test. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`
}
