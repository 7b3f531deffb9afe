import {existsSync} from 'node:fs'
import path from 'node:path'

/** Runs git in `cwd` and returns trimmed stdout, or undefined when git fails (not a repo, no git). */
export async function gitOutput(cwd: string, args: string[]): Promise<string | undefined> {
  // loaded on first use: importing execa costs a cached build more than running git does (see workTreeTop)
  const {execa} = await import('execa')
  const result = await execa('git', args, {cwd, reject: false, stripFinalNewline: true})
  return result.exitCode === 0 ? result.stdout : undefined
}

/** The work tree's top directory, or undefined outside a git work tree. */
export async function gitRoot(cwd: string): Promise<string | undefined> {
  return gitOutput(cwd, ['rev-parse', '--show-toplevel'])
}

/** Variables that move git's repository discovery away from "the nearest `.git` upward". */
const DISCOVERY_VARIABLES = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_CEILING_DIRECTORIES'] as const

/**
 * The top of the work tree holding `dir`, found as git finds it: the nearest directory upward with a
 * `.git` (a directory, or a file in worktrees and submodules). No git process on every build's hot
 * path; when the environment steers git's discovery, git itself is asked (gitRoot). Unlike gitRoot it
 * answers in `dir`'s own spelling (no symlinks resolved), so it can bound a walk up from `dir`.
 */
export async function workTreeTop(dir: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  if (DISCOVERY_VARIABLES.some((name) => env[name])) return gitRoot(dir)
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    if (existsSync(path.join(at, '.git'))) return at
    if (path.dirname(at) === at) return undefined
  }
}
