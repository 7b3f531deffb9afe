import {execa} from 'execa'

export interface CapturedRun {
  exitCode: number
  stdout: string
  stderr: string
}

export interface RunOptions {
  cwd?: string
  /** Environment for docker; defaults to process.env (DOCKER_HOST, DOCKER_CONTEXT, BUILDX_BUILDER respected). */
  env?: NodeJS.ProcessEnv
  input?: string
  /** Milliseconds before the command is killed. */
  timeout?: number
}

/** Runs `docker ARGS` and captures its output; never throws for a non-zero exit. */
export async function runDocker(args: string[], options: RunOptions = {}): Promise<CapturedRun> {
  const result = await execa('docker', args, {
    cwd: options.cwd,
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
const SIGNAL_NUMBERS: Record<string, number> = {SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15}
/** After this many signals the user means it: the child is killed outright. */
const KILL_AFTER = 3

/**
 * Runs `docker ARGS` with the terminal (stdio inherited). SIGINT and SIGTERM sent to dbuild are
 * passed to docker, and this resolves only once docker has ended, so nothing is left behind.
 */
export async function streamDocker(args: string[], options: Pick<RunOptions, 'cwd' | 'env'> = {}): Promise<StreamedRun> {
  const child = execa('docker', args, {cwd: options.cwd, env: options.env ?? process.env, extendEnv: false, stdio: 'inherit', reject: false})
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
    const result = await child
    if (result.exitCode === undefined && result.signal) return {exitCode: 128 + (SIGNAL_NUMBERS[result.signal] ?? 0), ...(interrupted ? {interrupted} : {})}
    if (result.exitCode === undefined) return {exitCode: 127, ...(interrupted ? {interrupted} : {})}
    return {exitCode: result.exitCode, ...(interrupted ? {interrupted} : {})}
  } finally {
    for (const remove of handlers) remove()
  }
}
