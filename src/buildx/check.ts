/** Is there a docker CLI with a recent enough buildx plugin? Answers with the fix when not. */
import {execFile} from 'node:child_process'

import {DbuildError, ExitCode} from '../exit-codes.js'
import type {CapturedRun} from './run.js'

/** --build-context, rawjson progress and `--cache-to type=inline` on every driver all work from here. */
export const MIN_BUILDX = [0, 10, 0] as const

export interface BuildxVersion {
  version: string
  parts: [number, number, number]
}

/** `github.com/docker/buildx v0.13.1 abc` or distro builds like `0.13.1+ds1 0.13.1+ds1-3`. */
export function parseBuildxVersion(text: string): BuildxVersion | undefined {
  const match = /(?:^|\s)v?(\d+)\.(\d+)\.(\d+)/.exec(text)
  if (!match) return undefined
  const parts: [number, number, number] = [Number(match[1]), Number(match[2]), Number(match[3])]
  return {version: parts.join('.'), parts}
}

function older(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0
    const y = b[i] ?? 0
    if (x !== y) return x < y
  }
  return false
}

const INSTALL_BUILDX = 'Install the buildx plugin: `apt-get install docker-buildx` (Debian/Ubuntu), `apt-get install docker-buildx-plugin` (Docker\'s repository), or see https://github.com/docker/buildx#installing'

/**
 * `docker buildx version`, captured. node:child_process rather than runDocker (execa): every build
 * runs this check, and importing execa would cost more time than the check itself.
 */
function buildxVersionOutput(env: NodeJS.ProcessEnv): Promise<CapturedRun> {
  return new Promise((resolve) => {
    execFile('docker', ['buildx', 'version'], {env, timeout: 30_000, encoding: 'utf8'}, (error, stdout, stderr) => {
      const code: unknown = error?.code
      if (!error) resolve({exitCode: 0, stdout, stderr})
      else if (typeof code === 'number') resolve({exitCode: code, stdout, stderr})
      // not started (ENOENT) or killed by the timeout: 127, as runDocker says
      else resolve({exitCode: 127, stdout, stderr: stderr || error.message})
    })
  })
}

/** Throws DbuildError(UNAVAILABLE) with the fix when docker or buildx is missing or too old. */
export async function checkBuildx(env: NodeJS.ProcessEnv = process.env): Promise<BuildxVersion> {
  const result = await buildxVersionOutput(env)
  if (result.exitCode === 127 && /ENOENT|not found/i.test(result.stderr)) {
    throw new DbuildError('docker was not found on PATH', ExitCode.UNAVAILABLE, [
      'Install the Docker CLI (https://docs.docker.com/engine/install/) with the buildx plugin, or add it to PATH.',
    ])
  }
  if (result.exitCode !== 0) {
    const missing = /not a docker command|unknown command|unknown flag/i.test(result.stderr)
    throw new DbuildError(missing ? 'docker buildx is not installed' : `docker buildx version failed: ${result.stderr.trim()}`, ExitCode.UNAVAILABLE, [INSTALL_BUILDX])
  }
  const version = parseBuildxVersion(result.stdout)
  if (!version) throw new DbuildError(`cannot read the buildx version from: ${result.stdout.trim()}`, ExitCode.UNAVAILABLE, [INSTALL_BUILDX])
  if (older(version.parts, MIN_BUILDX)) {
    throw new DbuildError(`buildx ${version.version} is too old; dbuild needs ${MIN_BUILDX.join('.')} or newer`, ExitCode.UNAVAILABLE, [INSTALL_BUILDX])
  }
  return version
}
