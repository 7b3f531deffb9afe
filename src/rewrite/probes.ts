/**
 * Probes: facts from BuildKit that rules need (users and groups at a line, a stage's tree).
 * Each builds an auxiliary target — the Dockerfile cut just before the instruction plus a
 * `dbuild-probe` stage — and caches the answer on disk keyed by a hash of that definition.
 */
import {createHash} from 'node:crypto'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {dbuildCacheDir} from '../cache-dir.js'
import {compareCodeUnits} from '../compare.js'
import {runDocker} from '../buildx/run.js'
import {writeFileAtomic} from '../write-atomic.js'

import type {DockerfileModel, InstructionNode} from './parse.js'
import {stageByRef} from './parse.js'
import {readTarHeaders} from './tar.js'
import {applyFixes} from './apply.js'
import {encodeText} from './bytes.js'
import type {Accounts, DockerAccess, FactError, FactRequest, Facts, Finding, TreeEntry} from './types.js'

const rangeLength = (finding: Finding) => (finding.fix ?? []).reduce((n, edit) => n + edit.range[1] - edit.range[0], 0)

export const PROBE_STAGE = 'dbuild-probe'
const CACHE_VERSION = 1
const PROBE_TIMEOUT_MS = 30 * 60 * 1000

export interface ProbeOptions {
  docker: DockerAccess
  buildArgs?: Record<string, string>
  platform?: string
  cacheDir?: string
}

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(dbuildCacheDir(env), 'probes')
}

/** The Dockerfile up to (not including) `instruction`, followed by the probe stage. */
export function probeDockerfile(model: DockerfileModel, instruction: InstructionNode, probeStage: string[]): string {
  // Earlier `COPY --link --chown=<name>` lines fail on the containerd store; without --link they
  // put the same bytes in the same places, and the probe only reads /etc/passwd and /etc/group.
  const unlinked = model.instructions
    .filter((i) => i.index < instruction.index && (i.keyword === 'COPY' || i.keyword === 'ADD'))
    .flatMap((i) => i.flags.filter((f) => f.name === 'link'))
    .map((f): Finding => ({ruleId: 'probe', severity: 'info', message: '', line: 0, fix: [{range: f.range, text: ''}]}))
  const head = applyFixes(model.text, unlinked).text.slice(0, instruction.range[0] - unlinked.reduce((n, f) => n + rangeLength(f), 0))
  const separator = head === '' || /[\r\n]$/.test(head) ? '' : model.newline
  return head + separator + [`FROM ${probeStage[0]} AS ${PROBE_STAGE}`, ...probeStage.slice(1)].join(model.newline) + model.newline
}

export function accountsProbe(model: DockerfileModel, instruction: InstructionNode): string {
  // The wildcards let a stage without /etc/group (or /etc/passwd) through with an empty answer.
  return probeDockerfile(model, instruction, ['scratch', `COPY --from=${instruction.stage} /etc/passwd* /etc/group* /`])
}

export function listingProbe(model: DockerfileModel, instruction: InstructionNode, from: string): string {
  const stage = stageByRef(model, from, instruction.stage + 1)
  if (stage && !stage.name) return probeDockerfile(model, instruction, ['scratch', `COPY --from=${stage.index} / /`])
  return probeDockerfile(model, instruction, [stage?.name ?? from])
}

function cacheKey(kind: string, dockerfile: string, options: ProbeOptions): string {
  const env = options.docker.env ?? process.env
  const buildArgs = Object.entries(options.buildArgs ?? {}).sort(([a], [b]) => compareCodeUnits(a, b))
  const identity = {v: CACHE_VERSION, kind, dockerfile, buildArgs, platform: options.platform ?? '', builder: options.docker.builder ?? env.BUILDX_BUILDER ?? '', host: env.DOCKER_HOST ?? '', context: env.DOCKER_CONTEXT ?? ''}
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex')
}

async function cached<T>(kind: string, dockerfile: string, options: ProbeOptions, compute: () => Promise<T | FactError>): Promise<T | FactError> {
  const dir = options.cacheDir ?? defaultCacheDir(options.docker.env)
  const file = path.join(dir, `${kind}-${cacheKey(kind, dockerfile, options)}.json`)
  if (existsSync(file)) {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as T
    } catch {
      // a torn cache file is recomputed
    }
  }
  const value = await compute()
  if (!isFactError(value)) {
    writeFileAtomic(file, JSON.stringify(value))
  }
  return value
}

export function isFactError(value: unknown): value is FactError {
  return typeof value === 'object' && value !== null && 'error' in value
}

async function build(dockerfile: string, output: string, options: ProbeOptions): Promise<FactError | undefined> {
  const {docker} = options
  const args = ['buildx', 'build', '--progress=plain', '-f', '-', '--target', PROBE_STAGE, '--output', output]
  if (docker.builder) args.push('--builder', docker.builder)
  if (docker.network) args.push(`--network=${docker.network}`)
  if (options.platform) args.push('--platform', options.platform)
  for (const [name, value] of Object.entries(options.buildArgs ?? {})) args.push('--build-arg', `${name}=${value}`)
  args.push(docker.contextDir)
  const run = await runDocker(args, {cwd: docker.contextDir, env: docker.env, input: encodeText(dockerfile), timeout: PROBE_TIMEOUT_MS})
  if (run.exitCode === 0) return undefined
  const tail = run.stderr.trim().split('\n').slice(-3).join(' | ')
  return {error: `the probe build failed (docker exit ${run.exitCode}): ${tail}`}
}

async function probeAccounts(dockerfile: string, options: ProbeOptions): Promise<Accounts | FactError> {
  return cached('accounts', dockerfile, options, async () => {
    const dest = mkdtempSync(path.join(os.tmpdir(), 'dbuild-probe-'))
    try {
      const failed = await build(dockerfile, `type=local,dest=${dest}`, options)
      if (failed) return failed
      const read = (name: string) => (existsSync(path.join(dest, name)) ? readFileSync(path.join(dest, name), 'utf8') : '')
      return {passwd: read('passwd'), group: read('group')}
    } finally {
      rmSync(dest, {recursive: true, force: true})
    }
  })
}

async function probeListing(dockerfile: string, options: ProbeOptions): Promise<TreeEntry[] | FactError> {
  return cached('listing', dockerfile, options, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dbuild-probe-'))
    const tar = path.join(dir, 'stage.tar')
    try {
      const failed = await build(dockerfile, `type=tar,dest=${tar}`, options)
      return failed ?? readTarHeaders(tar)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
}

/** Runs the probes the rules asked for, one at a time (builds are heavy), each once. */
export async function gatherFacts(model: DockerfileModel, requests: FactRequest[], options: ProbeOptions | undefined): Promise<Facts> {
  const facts: Facts = {accounts: new Map(), listings: new Map()}
  if (!options) {
    if (requests.length > 0) facts.unavailable = 'no BuildKit access was given (no build context), so facts from the image could not be probed'
    return facts
  }
  for (const request of requests) {
    if (request.kind === 'accounts' && !facts.accounts.has(request.instruction.line)) {
      facts.accounts.set(request.instruction.line, await probeAccounts(accountsProbe(model, request.instruction), options))
    }
    if (request.kind === 'listing' && !facts.listings.has(request.from)) {
      facts.listings.set(request.from, await probeListing(listingProbe(model, request.instruction, request.from), options))
    }
  }
  return facts
}
