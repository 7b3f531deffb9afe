/** One run of the rules over a Dockerfile, as the rewrite and lint commands ask for it. */
import {readFileSync} from 'node:fs'
import path from 'node:path'

import {parseBuildArgs} from '../buildx/build-values.js'
import {sourceKind} from '../buildx/sources.js'

import {type LoadedConfig, configLines} from '../config.js'
import {DbuildError, ExitCode, readFailureExit} from '../exit-codes.js'
import {writeLine} from '../printable.js'

import {rewriteDockerfile} from './engine.js'
import {parseDockerfile} from './parse.js'
import {buildkitRefusals} from './refusals.js'
import {decodeBytes} from '../surrogate-escape.js'
import {resolveRules} from './resolve.js'
import type {RewriteResult, Rule} from './types.js'

export interface RunRequest {
  /** The absolute context directory, as src/pipeline/inputs.ts resolved it. */
  contextDir: string
  /** The absolute Dockerfile path. */
  file: string
  loaded: LoadedConfig
  /** The environment probes run docker with and bare `--build-arg NAME` reads. */
  env: NodeJS.ProcessEnv
  buildArgs?: string[]
  /** --build-context NAME=SOURCE, as buildx takes them. */
  buildContexts?: Array<{name: string; source: string}>
  target?: string
  platform?: string
  /** Run BuildKit probes for facts (users at a line, a stage's tree). */
  probe: boolean
  network?: string
  /** --plugins / --no-plugins; undefined leaves it to DBUILD_PLUGINS (default: not loaded). */
  plugins?: boolean
  /** Where the config line and warnings go (stderr). */
  note?: (line: string) => void
}

export interface RunOutcome {
  file: string
  original: string
  /** The config that was used, or none. */
  config: LoadedConfig
  rules: Rule[]
  result: RewriteResult
}

/** The named contexts as the probe builds get them: a local directory made absolute, as buildx reads it from the working directory. */
function probeContexts(contexts: Array<{name: string; source: string}>): Record<string, string> {
  return Object.fromEntries(contexts.map(({name, source}) => [name, sourceKind(source) === 'local' ? path.resolve(source) : source]))
}

export async function runRules(builtin: Rule[], request: RunRequest): Promise<RunOutcome> {
  const {contextDir, file, loaded, env} = request
  let bytes: Buffer
  try {
    bytes = readFileSync(file)
  } catch (error) {
    const exit = readFailureExit(error)
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message
    throw new DbuildError(
      `${file}: cannot read the Dockerfile: ${reason}`,
      exit,
      exit === ExitCode.NO_INPUT ? ['Pass the Dockerfile with -f.'] : [],
    )
  }
  // bytes outside valid UTF-8 survive as escapes (bytes.ts), so a rewrite keeps them
  const original = decodeBytes(bytes)
  const note = request.note ?? ((line: string) => writeLine(process.stderr, line))
  const lines = configLines(loaded)
  note(`dbuild: ${lines.note}`)
  if (lines.warning) note(`dbuild: warning: ${lines.warning}`)
  const warn = (message: string) => note(`dbuild: warning: ${message}`)
  const rules = await resolveRules(builtin, loaded.config, loaded.path, {
    ...(request.plugins === undefined ? {} : {allow: request.plugins}),
    env,
    warn,
  })
  const result = await rewriteDockerfile(rules, {
    text: original,
    bytes,
    file,
    config: loaded.config,
    ...(loaded.path ? {configPath: loaded.path} : {}),
    contextDir,
    buildArgs: parseBuildArgs(request.buildArgs, env),
    buildContexts: (request.buildContexts ?? []).map(({name}) => name),
    ...(request.target ? {target: request.target} : {}),
    ...(request.platform ? {platform: request.platform} : {}),
    ...(request.probe
      ? {
          docker: {
            contextDir,
            env,
            ...(request.network ? {network: request.network} : {}),
            ...(request.buildContexts?.length ? {buildContexts: probeContexts(request.buildContexts)} : {}),
          },
        }
      : {facts: {unavailable: 'probe builds were not run; pass --probe'}}),
  })
  // BuildKit's refusals come first, as its build would stop there; rules read the file as far as it parses
  const refusals = buildkitRefusals(parseDockerfile(original))
  if (refusals.length > 0) result.findings = [...refusals, ...result.findings].sort((a, b) => a.line - b.line)
  return {file, original, config: loaded, rules, result}
}
