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
