/**
 * Pipeline step 1, and the one place every command finds what it reads: the context directory, the
 * Dockerfile, the ignore file that applies to them, the environment, and (step 2) the config.
 * build, stage, lint and rewrite all call it, so they agree on paths, errors and exit codes.
 */
import {existsSync, statSync} from 'node:fs'
import path from 'node:path'

import {type SourceKind, sourceKind} from '../buildx/sources.js'
import {type LoadedConfig, configLines, findConfig, loadConfigFile} from '../config.js'
import {DbuildError, ExitCode} from '../exit-codes.js'
import {workTreeTop} from '../git.js'
import {contextDirectory} from '../stage/context-directory.js'
import {ignoreFileFor} from '../stage/ignore.js'
import {fromWorkingDirectory, workingDirectory} from '../working-dir.js'

export interface InputRequest {
  /** The context as given: a directory, `-` (stdin), or a git/http/image source. */
  context: string
  /** -f as given: relative to `cwd`, as buildx reads it; `-` is stdin. Default: CONTEXT/Dockerfile. */
  dockerfile?: string
  cwd?: string
  env?: NodeJS.ProcessEnv
  /** The command reads the context itself (stage, lint, rewrite): whatever is given names a directory. */
  localOnly?: boolean
  /** Without -f, CONTEXT/Dockerfile must exist (default true; `stage` needs no Dockerfile). */
  needsDockerfile?: boolean
}

export interface Inputs {
  /** The working directory; undefined when it was deleted (then only absolute paths can be used). */
  cwd: string | undefined
  env: NodeJS.ProcessEnv
  /** The context argument as given. */
  context: string
  kind: SourceKind
  /** Absolute directory of a local context; undefined for stdin and remote contexts. */
  contextDir?: string
  /** Absolute path of a local Dockerfile that exists; undefined for `-f -` or a remote context's own Dockerfile. */
  dockerfile?: string
  /** `-f -`: the Dockerfile comes from stdin. */
  dockerfileFromStdin: boolean
  /** The ignore file that applies (`<Dockerfile>.dockerignore`, else `.dockerignore`), when one exists. */
  ignoreFile?: string
}

function dockerfilePath(request: InputRequest, cwd: string | undefined, contextDir: string | undefined): string | undefined {
  if (request.dockerfile === '-' || contextDir === undefined) return undefined
  // buildx reads a relative -f from the working directory, not from the context
  if (request.dockerfile !== undefined) return fromWorkingDirectory(request.dockerfile, 'the Dockerfile', cwd)
  const file = path.join(contextDir, 'Dockerfile')
  return request.needsDockerfile === false && !existsSync(file) ? undefined : file
}

/** Validates the context and the Dockerfile; throws DbuildError (NO_INPUT) naming the missing one. */
export function resolveInputs(request: InputRequest): Inputs {
  const cwd = request.cwd ?? workingDirectory()
  const env = request.env ?? process.env
  const kind = request.localOnly ? 'local' : sourceKind(request.context)
  const contextDir = kind === 'local' ? contextDirectory(request.context, cwd) : undefined
  const dockerfile = dockerfilePath(request, cwd, contextDir)
  if (dockerfile !== undefined && !existsSync(dockerfile)) {
    throw new DbuildError(
      `${dockerfile}: Dockerfile not found`,
      ExitCode.NO_INPUT,
      request.dockerfile === undefined ? ['Pass the Dockerfile with -f.'] : [],
    )
  }
  if (dockerfile !== undefined && statSync(dockerfile).isDirectory()) {
    // read later, it would fail with a raw EISDIR (exit 70)
    throw new DbuildError(`${dockerfile}: is a directory, not a Dockerfile`, ExitCode.NO_INPUT, [
      `Name the file itself: -f ${path.join(request.dockerfile ?? request.context, 'Dockerfile')}`,
    ])
  }
  const ignoreFile = contextDir === undefined ? undefined : ignoreFileFor(contextDir, dockerfile)
  return {
    cwd,
    env,
    context: request.context,
    kind,
    ...(contextDir === undefined ? {} : {contextDir}),
    ...(dockerfile === undefined ? {} : {dockerfile}),
    dockerfileFromStdin: request.dockerfile === '-',
    // a directory of that name is no ignore file to buildx
    ...(ignoreFile !== undefined && statSync(ignoreFile, {throwIfNoEntry: false})?.isFile() ? {ignoreFile} : {}),
  }
}

/**
 * Step 2: the config. `--config FILE` (relative to cwd) wins; else `.dbuild.json` is looked for from
 * the context (or cwd for a remote context) up to the top of its git work tree.
 */
export async function loadInputConfig(inputs: Pick<Inputs, 'cwd' | 'env' | 'contextDir'>, configFile?: string): Promise<LoadedConfig> {
  if (configFile !== undefined) return loadConfigFile(fromWorkingDirectory(configFile, '--config', inputs.cwd))
  const start = inputs.contextDir ?? inputs.cwd
  // a remote context from a deleted working directory: no directory to look for a config in
  if (start === undefined) return {config: {}}
  return findConfig(start, await workTreeTop(start, inputs.env))
}

/**
 * The stderr lines build, lint and rewrite print about their config (`dbuild: config: PATH`, and the
 * warning when one was refused), for the commands that report on a context without building it
 * (explain, setup): the config a build of `contextDir` would use. One that cannot be read is a
 * warning here, not a failure: those commands do not depend on it.
 */
export async function configNotesFor(contextDir: string, cwd: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  let loaded: LoadedConfig
  try {
    loaded = await loadInputConfig({cwd, env, contextDir})
  } catch (error) {
    if (error instanceof DbuildError) return [`dbuild: warning: ${error.message.split('\n')[0]}`, 'dbuild: config: none used']
    throw error
  }
  const lines = configLines(loaded)
  return [...(lines.warning ? [`dbuild: warning: ${lines.warning}`] : []), `dbuild: ${lines.note}`]
}
