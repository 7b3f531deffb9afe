/** Pipeline step 3: the main context and each local named context, staged (or used as they are). */
import type {BuildContextArg} from '../buildx/argv.js'
import {sourceKind} from '../buildx/sources.js'
import {type ContextDigest, digestContext, prepareContext, stageRootFor} from '../stage/index.js'
import {contextDirectory} from '../stage/context-directory.js'
import type {Inputs} from './inputs.js'

/** How the main context reaches buildx. */
export type ContextPath = 'staged' | 'canonical' | 'unstaged' | 'remote'

export interface StepEvents {
  /** Progress of a slow step, for a spinner. */
  step: (text: string) => void
  warn: (message: string) => void
}

interface StagedDir {
  dir: string
  /** The per-context dbuild directory (for the Dockerfile copy). */
  root: string
  /** 'unstaged': no stage could be written (a full or read-only cache), so the directory goes as it is. */
  path: 'staged' | 'canonical' | 'unstaged'
  summary: string
  /** When asked for: the digest of what buildx is sent. */
  digest?: ContextDigest
}

/**
 * Stages that one run already made, by stage root (the real directory and its ignore file): bake
 * stages each distinct directory once, however many targets read it.
 */
export type StageMemo = Map<string, Promise<StagedDir>>

/** Stages one local directory, or finds it canonical already and leaves the stage alone. */
export async function stageDir(
  source: string,
  dockerfile: string | undefined,
  env: NodeJS.ProcessEnv,
  warn: (message: string) => void,
  digest = false,
  memo?: StageMemo,
): Promise<StagedDir> {
  if (memo === undefined) return stageOnce(source, dockerfile, env, warn, digest)
  const key = `${stageRootFor(source, dockerfile, env)}\0${digest}`
  let staged = memo.get(key)
  if (staged === undefined) {
    staged = stageOnce(source, dockerfile, env, warn, digest)
    memo.set(key, staged)
  }
  return staged
}

async function stageOnce(
  source: string,
  dockerfile: string | undefined,
  env: NodeJS.ProcessEnv,
  warn: (message: string) => void,
  digest: boolean,
): Promise<StagedDir> {
  const prepared = await prepareContext({context: source, ...(dockerfile ? {dockerfile} : {}), env, onWarning: warn, digest})
  if (prepared.canonical) {
    return {
      dir: source,
      root: prepared.root,
      path: 'canonical',
      summary: `context already canonical: building from ${source} directly`,
      ...(prepared.digest ? {digest: prepared.digest} : {}),
    }
  }
  if ('unstaged' in prepared) {
    const {context, root, warning, digest: asIs} = prepared.unstaged
    warn(warning)
    return {
      dir: context,
      root,
      path: 'unstaged',
      summary: `no stage could be written: building from ${context} as it is`,
      ...(asIs ? {digest: asIs} : {}),
    }
  }
  const staged = prepared.stage
  return {
    dir: staged.dir,
    root: staged.root,
    path: 'staged',
    summary: `context staged: ${staged.dir} (${staged.files} files, ${staged.changed} written, ${staged.removed} removed)`,
    ...(staged.digest ? {digest: staged.digest} : {}),
  }
}

export interface MainContext {
  path: ContextPath
  /** The directory or URL buildx gets as its context. */
  context: string
  /** The per-context dbuild directory, for the Dockerfile copy; undefined for a remote context. */
  root?: string
  note: string
  /** The digest of the local context buildx is sent, when asked for. */
  digest?: ContextDigest
}

export async function stageMainContext(
  inputs: Inputs,
  noStage: boolean,
  events: StepEvents,
  digest = false,
  memo?: StageMemo,
): Promise<MainContext> {
  if (inputs.contextDir === undefined) {
    return {
      path: 'remote',
      context: inputs.context,
      note: `context ${inputs.context} is ${inputs.kind === 'stdin' ? 'stdin' : 'remote'}: passed to buildx untouched`,
    }
  }
  if (noStage) {
    return {
      path: 'unstaged',
      context: inputs.contextDir,
      root: stageRootFor(inputs.contextDir, inputs.dockerfile, inputs.env),
      note: `--no-stage: building from ${inputs.contextDir} as it is`,
      ...(digest ? {digest: digestContext(inputs.contextDir, inputs.dockerfile, inputs.env, true).digest} : {}),
    }
  }
  events.step(`staging ${inputs.context}`)
  const staged = await stageDir(inputs.contextDir, inputs.dockerfile, inputs.env, events.warn, digest, memo)
  return {
    path: staged.path,
    context: staged.dir,
    root: staged.root,
    note: staged.summary,
    ...(staged.digest ? {digest: staged.digest} : {}),
  }
}

export interface NamedContexts {
  /** Name → the directory buildx gets instead of the local source. */
  replaced: Map<string, string>
  notes: string[]
}

/** `--build-context name=DIR` (bake: `contexts`): local directories are checked and staged; images, URLs and other bake targets pass untouched. */
export async function stageNamedContexts(
  named: readonly BuildContextArg[],
  inputs: Pick<Inputs, 'cwd' | 'env'>,
  noStage: boolean,
  events: StepEvents,
  memo?: StageMemo,
): Promise<NamedContexts> {
  const replaced = new Map<string, string>()
  const notes: string[] = []
  for (const {name, source} of named) {
    if (source.startsWith('target:')) {
      notes.push(`build context ${name}=${source} is another bake target: passed to buildx untouched`)
      continue
    }
    const kind = sourceKind(source)
    if (kind !== 'local') {
      notes.push(`build context ${name}=${source} is ${kind === 'image' ? 'an image' : 'remote'}: passed to buildx untouched`)
      continue
    }
    const dir = contextDirectory(source, inputs.cwd, `build context ${name}`)
    if (noStage) continue
    events.step(`staging build context ${name}`)
    const staged = await stageDir(dir, undefined, inputs.env, events.warn, false, memo)
    replaced.set(name, staged.dir)
    notes.push(`build context ${name}: ${staged.summary}`)
  }
  return {replaced, notes}
}
