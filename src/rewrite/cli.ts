/** What the rewrite and lint commands share: locating the Dockerfile and config, and one run. */
import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {findConfig} from '../config.js'
import {DbuildError, ExitCode} from '../exit-codes.js'
import {workTreeTop} from '../git.js'

import {rewriteDockerfile} from './engine.js'
import {resolveRules} from './resolve.js'
import type {RewriteResult, Rule} from './types.js'

export interface RunRequest {
  context?: string
  dockerfile?: string
  buildArgs?: string[]
  target?: string
  platform?: string
  /** Run BuildKit probes for facts (users at a line, a stage's tree). */
  probe: boolean
  network?: string
}

export interface RunOutcome {
  file: string
  original: string
  rules: Rule[]
  result: RewriteResult
}

export function parseBuildArgs(values: string[] = []): Record<string, string> {
  const args: Record<string, string> = {}
  for (const value of values) {
    const eq = value.indexOf('=')
    // `--build-arg NAME` takes the value from the environment, as docker does
    if (eq === -1) {
      if (process.env[value] !== undefined) args[value] = process.env[value] as string
    } else args[value.slice(0, eq)] = value.slice(eq + 1)
  }
  return args
}

export async function runRules(builtin: Rule[], request: RunRequest): Promise<RunOutcome> {
  const contextDir = path.resolve(request.context ?? '.')
  if (!existsSync(contextDir)) throw new DbuildError(`${contextDir}: no such build context`, ExitCode.NO_INPUT)
  const file = path.resolve(request.dockerfile ?? path.join(contextDir, 'Dockerfile'))
  let original: string
  try {
    original = readFileSync(file, 'utf8')
  } catch (error) {
    throw new DbuildError(`${file}: cannot read the Dockerfile: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, ExitCode.NO_INPUT, ['Pass the Dockerfile with -f.'])
  }
  const loaded = findConfig(contextDir, await workTreeTop(contextDir))
  const rules = await resolveRules(builtin, loaded.config, loaded.path)
  const result = await rewriteDockerfile(rules, {
    text: original,
    file,
    config: loaded.config,
    ...(loaded.path ? {configPath: loaded.path} : {}),
    buildArgs: parseBuildArgs(request.buildArgs),
    ...(request.target ? {target: request.target} : {}),
    ...(request.platform ? {platform: request.platform} : {}),
    ...(request.probe
      ? {docker: {contextDir, env: process.env, ...(request.network ? {network: request.network} : {})}}
      : {facts: {unavailable: 'probe builds were not run (pass --probe)'}}),
  })
  return {file, original, rules, result}
}
