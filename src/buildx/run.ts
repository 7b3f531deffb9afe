import {spawn} from 'node:child_process'
import {constants} from 'node:os'

import {ExitCode} from '../exit-codes.js'
import {childDirectory} from '../working-dir.js'

export interface CapturedRun {
  exitCode: number
  stdout: string
  stderr: string
}

export interface RunOptions {
  cwd?: string
  /** Environment for docker; defaults to process.env (DOCKER_HOST, DOCKER_CONTEXT, BUILDX_BUILDER respected). */
  env?: NodeJS.ProcessEnv
  input?: string | Uint8Array
  /** Milliseconds before the command is killed. */
  timeout?: number
}

/** Runs `docker ARGS` and captures its output; never throws for a non-zero exit. */
export async function runDocker(args: string[], options: RunOptions = {}): Promise<CapturedRun> {
  // loaded on first use: importing execa costs more than a cached build may add (see streamDocker)
  const {execa} = await import('execa')
  const result = await execa('docker', args, {
    // a deleted working directory would make execa throw; the arguments given here are absolute
    cwd: options.cwd ?? childDirectory(),
    env: options.env ?? process.env,
    extendEnv: false,
    input: options.input,
    timeout: options.timeout,
    reject: false,
    stripFinalNewline: false,
    encoding: 'utf8',
  })
  if (result.failed && result.exitCode === undefined) {
    // docker itself could not be started (ENOENT) or was killed by a timeout.
    return {exitCode: 127, stdout: result.stdout ?? '', stderr: result.stderr || (result.message ?? '')}
  }
  return {exitCode: result.exitCode ?? 1, stdout: result.stdout ?? '', stderr: result.stderr ?? ''}
}

export interface StreamedRun {
  /** The child's exit code; 128 + signal number when it was killed by a signal. */
  exitCode: number
  /** SIGINT or SIGTERM when dbuild received it (and passed it on) during the run. */
  interrupted?: 'SIGINT' | 'SIGTERM'
}

const FORWARDED = ['SIGINT', 'SIGTERM'] as const
/** After this many signals the user means it: the child is killed outright. */
const KILL_AFTER = 3

/**
 * Runs `docker ARGS` with the terminal (stdio inherited). SIGINT and SIGTERM sent to dbuild are
 * passed to docker, and this resolves only once docker has ended, so nothing is left behind.
 *
 * node:child_process rather than execa, the project's choice elsewhere: this is every build's hot
 * path, importing execa alone takes ~130 ms, and with stdio inherited there is no output to handle.
 */
export async function streamDocker(args: string[], options: Pick<RunOptions, 'cwd' | 'env'> = {}): Promise<StreamedRun> {
  const child = spawn('docker', args, {cwd: options.cwd, env: options.env ?? process.env, stdio: 'inherit'})
  let interrupted: StreamedRun['interrupted']
  let received = 0
  const handlers = FORWARDED.map((signal) => {
    const handler = () => {
      interrupted ??= signal
      received++
      child.kill(received >= KILL_AFTER ? 'SIGKILL' : signal)
    }
    process.on(signal, handler)
    return () => process.off(signal, handler)
  })
  try {
    const exitCode = await new Promise<number>((resolve) => {
      // docker could not be started (ENOENT, EACCES): 127 as a shell would say; a failed kill is no end
      child.on('error', () => {
        if (child.pid === undefined) resolve(127)
      })
      child.once('close', (code, signal) => resolve(code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 127)))
    })
    return {exitCode, ...(interrupted ? {interrupted} : {})}
  } finally {
    for (const remove of handlers) remove()
  }
}

/** buildx's exit code, or 130/143 when dbuild was interrupted (and passed the signal on). */
export function exitCodeOf(result: StreamedRun): number {
  if (result.interrupted) return result.interrupted === 'SIGINT' ? ExitCode.SIGINT : ExitCode.SIGTERM
  return result.exitCode
}
