/** Is there a docker CLI with a recent enough buildx plugin? Answers with the fix when not. */
import {execFile} from 'node:child_process'
import {accessSync, constants, readFileSync, statSync} from 'node:fs'
import path from 'node:path'

import {dbuildCacheDir} from '../cache-dir.js'
import {dockerConfigDir} from '../docker-config.js'

import {DbuildError, ExitCode} from '../exit-codes.js'
import {older, parseVersion} from '../version.js'
import {writeFileAtomic} from '../write-atomic.js'
import type {CapturedRun} from './run.js'

/** --build-context, rawjson progress and `--cache-to type=inline` on every driver all work from here. */
export const MIN_BUILDX = [0, 10, 0] as const

export interface BuildxVersion {
  /** `0.13.1`, or `unknown` for a buildx built without version information (it says v0.0.0+unknown). */
  version: string
  /** Undefined when the version is unknown: then the flags below say what its help lists. */
  parts?: [number, number, number]
  /** `docker buildx build --help` lists --annotation (asked only when the version is unknown). */
  annotation?: boolean
}

/** `github.com/docker/buildx v0.13.1 abc` or distro builds like `0.13.1+ds1 0.13.1+ds1-3`; `unknown` for v0.0.0+unknown. */
export function parseBuildxVersion(text: string): BuildxVersion | undefined {
  const version = parseVersion(text)
  if (version) return version
  return /(?:^|\s)v?0\.0\.0\+unknown(?:\s|$)/.test(text) ? {version: 'unknown'} : undefined
}

const INSTALL_BUILDX =
  'Install the buildx plugin: `apt-get install docker-buildx` (Debian/Ubuntu), ' +
  "`apt-get install docker-buildx-plugin` (Docker's repository), or see https://github.com/docker/buildx#installing"

/**
 * `docker buildx version`, captured. node:child_process rather than runDocker (execa): every build
 * runs this check, and importing execa would cost more time than the check itself.
 */
function buildxVersionOutput(env: NodeJS.ProcessEnv, args = ['buildx', 'version']): Promise<CapturedRun> {
  return new Promise((resolve) => {
    execFile('docker', args, {env, timeout: 30_000, encoding: 'utf8'}, (error, stdout, stderr) => {
      const code: unknown = error?.code
      if (!error) resolve({exitCode: 0, stdout, stderr})
      else if (typeof code === 'number') resolve({exitCode: code, stdout, stderr})
      // not started (ENOENT) or killed by the timeout: 127, as runDocker says
      else resolve({exitCode: 127, stdout, stderr: stderr || error.message})
    })
  })
}

/** Where the docker CLI looks for plugins, in its order (cli-plugins/manager, Linux and macOS). */
function pluginDirs(env: NodeJS.ProcessEnv): string[] {
  const extra = (env.DOCKER_CLI_PLUGIN_EXTRA_DIRS ?? '').split(path.delimiter).filter(Boolean)
  const system = [
    '/usr/local/lib/docker/cli-plugins',
    '/usr/local/libexec/docker/cli-plugins',
    '/usr/lib/docker/cli-plugins',
    '/usr/libexec/docker/cli-plugins',
  ]
  return [...extra, path.join(dockerConfigDir(env), 'cli-plugins'), ...system]
}

/** The first `docker` on PATH, as execFile would find it; undefined when there is none. */
function dockerOnPath(env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue
    const candidate = path.join(dir, 'docker')
    try {
      accessSync(candidate, constants.X_OK)
      if (statSync(candidate).isFile()) return candidate
    } catch {
      // not here
    }
  }
  return undefined
}

/**
 * What `docker buildx version` prints depends only on the files that answer it: the docker CLI, its
 * config (extra plugin directories) and every place a docker-buildx plugin may be. Their identities
 * (inode, size, mtime) key the remembered answer; undefined when there is no docker to key on.
 */
export function answerKey(env: NodeJS.ProcessEnv): string | undefined {
  const docker = dockerOnPath(env)
  if (!docker) return undefined
  const files = [docker, path.join(dockerConfigDir(env), 'config.json'), ...pluginDirs(env).map((dir) => path.join(dir, 'docker-buildx'))]
  const identity = files.map((file) => {
    const stats = statSync(file, {throwIfNoEntry: false})
    return stats ? [file, stats.ino, stats.size, stats.mtimeMs] : [file]
  })
  return JSON.stringify(identity)
}

interface RememberedAnswer {
  key: string
  stdout: string
}

/** `docker buildx version` as the last successful check saw it, while nothing behind it has changed. */
async function rememberedBuildxVersion(env: NodeJS.ProcessEnv): Promise<CapturedRun> {
  const key = answerKey(env)
  const file = path.join(dbuildCacheDir(env), 'buildx-version.json')
  if (key === undefined) return buildxVersionOutput(env)
  try {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as RememberedAnswer
    if (saved.key === key && typeof saved.stdout === 'string') return {exitCode: 0, stdout: saved.stdout, stderr: ''}
  } catch {
    // none yet, or unreadable: ask docker
  }
  const result = await buildxVersionOutput(env)
  if (result.exitCode === 0) {
    try {
      writeFileAtomic(file, JSON.stringify({key, stdout: result.stdout} satisfies RememberedAnswer))
    } catch {
      // only a speed-up is lost
    }
  }
  return result
}

/**
 * Throws DbuildError(UNAVAILABLE) with the fix when docker or buildx is missing or too old. A
 * version seen before is remembered (see answerKey): the check runs on every build, and a docker
 * CLI start costs about as much as all the rest of dbuild's own work.
 */
export async function checkBuildx(env: NodeJS.ProcessEnv = process.env): Promise<BuildxVersion> {
  const result = await rememberedBuildxVersion(env)
  if (result.exitCode === 127 && /ENOENT|not found/i.test(result.stderr)) {
    throw new DbuildError('docker was not found on PATH', ExitCode.UNAVAILABLE, [
      'Install the Docker CLI (https://docs.docker.com/engine/install/) with the buildx plugin, or add it to PATH.',
    ])
  }
  if (result.exitCode !== 0) {
    const missing = /not a docker command|unknown command|unknown flag/i.test(result.stderr)
    throw new DbuildError(
      missing ? 'docker buildx is not installed' : `docker buildx version failed: ${result.stderr.trim()}`,
      ExitCode.UNAVAILABLE,
      [INSTALL_BUILDX],
    )
  }
  const version = parseBuildxVersion(result.stdout)
  if (!version)
    throw new DbuildError(`cannot read the buildx version from: ${result.stdout.trim()}`, ExitCode.UNAVAILABLE, [INSTALL_BUILDX])
  if (!version.parts) {
    // built without version information: what its help lists tells what it can do
    const help = await buildxVersionOutput(env, ['buildx', 'build', '--help'])
    if (help.exitCode === 0 && !/--build-context\b/.test(help.stdout)) {
      throw new DbuildError(
        `buildx (version unknown) has no --build-context; dbuild needs buildx ${MIN_BUILDX.join('.')} or newer`,
        ExitCode.UNAVAILABLE,
        [INSTALL_BUILDX],
      )
    }
    return {...version, annotation: /--annotation\b/.test(help.stdout)}
  }
  if (older(version.parts, MIN_BUILDX)) {
    throw new DbuildError(`buildx ${version.version} is too old; dbuild needs ${MIN_BUILDX.join('.')} or newer`, ExitCode.UNAVAILABLE, [
      INSTALL_BUILDX,
    ])
  }
  return version
}

/** Whether `docker buildx bake --help` lists --allow: asked of a buildx whose version is unknown. */
export async function bakeListsAllow(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const help = await buildxVersionOutput(env, ['buildx', 'bake', '--help'])
  return help.exitCode === 0 && /--allow\b/.test(help.stdout)
}
