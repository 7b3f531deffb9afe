/**
 * Pipeline step 3b: the context manifest of the build (see src/explain/manifest.ts), written with
 * `--manifest FILE`, or in CI beside the stage, so a pipeline can keep it and `dbuild explain
 * --against` can say later why another build missed its cache. The digest also goes on the image as
 * the manifest annotation dev.dbuild.context.digest where buildx can set one.
 */
import {statSync} from 'node:fs'
import path from 'node:path'

import type {ParsedBuildArgv} from '../buildx/argv.js'
import type {BuildxVersion} from '../buildx/check.js'
import {isCI} from '../ci.js'
import {fromWorkingDirectory} from '../working-dir.js'
import {DbuildError, ExitCode} from '../exit-codes.js'
import {manifestFor} from '../explain/current.js'
import {writeManifest} from '../explain/manifest.js'
import type {Inputs} from './inputs.js'
import type {MainContext} from './stage.js'

export const CONTEXT_DIGEST_ANNOTATION = 'dev.dbuild.context.digest'

/** Whether this build writes a manifest: --manifest FILE, or CI with a local context. */
export function wantsManifest(parsed: ParsedBuildArgv, env: NodeJS.ProcessEnv): boolean {
  return parsed.own.manifest !== undefined || isCI(env)
}

/** What a manifest records beside the context digest, and where it goes. */
export interface ManifestRequest {
  /** Absolute path; `explicit` when the user named it (then a write that fails fails the command). */
  file: string
  explicit: boolean
  buildArgs: Record<string, string>
  platforms: readonly string[]
  target?: string
}

/**
 * Writes the manifest of the main context; returns its file and digest, or nothing for a remote context.
 * A manifest the user asked for (--manifest) that cannot be written fails the build; the one CI
 * writes on its own is only a warning, since a build that works without dbuild must not fail for it.
 */
export function writeContextManifest(
  request: ManifestRequest,
  inputs: Inputs,
  main: MainContext,
  warn: (message: string) => void,
): {file?: string; digest: string; note: string} | undefined {
  if (!main.digest || inputs.contextDir === undefined) return undefined
  const manifest = manifestFor(main.digest, {
    context: inputs.contextDir,
    ...(inputs.dockerfile ? {dockerfile: inputs.dockerfile} : {}),
    ...(inputs.ignoreFile ? {ignoreFile: inputs.ignoreFile} : {}),
    buildArgs: request.buildArgs,
    ...(request.platforms.length > 0 ? {platform: request.platforms.join(',')} : {}),
    ...(request.target === undefined ? {} : {target: request.target}),
    ...(main.path === 'unstaged' ? {modesAsIs: true} : {}),
  })
  try {
    writeManifest(request.file, manifest)
  } catch (error) {
    if (request.explicit || !(error instanceof DbuildError)) throw error
    warn(`${error.message}; the build goes on without it (pass --manifest to choose where it goes)`)
    return {digest: main.digest.digest, note: `context digest ${main.digest.digest}`}
  }
  return {
    file: request.file,
    digest: main.digest.digest,
    note: `context digest ${main.digest.digest}; manifest written to ${request.file} (keep it, then: dbuild explain --against FILE)`,
  }
}

/** The build's manifest: --manifest FILE, or in CI dbuild's own directory for this context, never the work tree. */
export function writeBuildManifest(
  parsed: ParsedBuildArgv,
  inputs: Inputs,
  main: MainContext,
  warn: (message: string) => void,
): {file?: string; digest: string; note: string} | undefined {
  if (main.root === undefined) return undefined
  const explicit = parsed.own.manifest !== undefined
  const file = explicit
    ? fromWorkingDirectory(parsed.own.manifest as string, '--manifest', inputs.cwd)
    : path.join(main.root, 'manifest.jsonl')
  return writeContextManifest(
    {
      file,
      explicit,
      buildArgs: parsed.buildArgs,
      platforms: parsed.platforms,
      ...(parsed.target === undefined ? {} : {target: parsed.target}),
    },
    inputs,
    main,
    warn,
  )
}

/** A bake target's name as a file name: bake's own names ([A-Za-z0-9_-]) as they are; any other byte escaped. */
function targetFileName(target: string): string {
  return /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(target) ? target : encodeURIComponent(target).replaceAll('.', '%2E')
}

/**
 * Where bake writes one target's manifest: `--manifest DIR` gives DIR/TARGET.jsonl (bake builds
 * several contexts at once, so one file could not hold them); in CI, beside the target's stage as
 * manifest.TARGET.jsonl (targets may share a stage, with other args or platforms).
 */
export function bakeManifestFile(dir: string | undefined, stageRoot: string, target: string): string {
  return dir === undefined
    ? path.join(stageRoot, `manifest.${targetFileName(target)}.jsonl`)
    : path.join(dir, `${targetFileName(target)}.jsonl`)
}

/**
 * bake's --manifest, checked before anything is staged: it names a directory (made when missing),
 * since each target gets its own manifest. A file there is a usage error, not a file overwritten.
 */
export function bakeManifestDir(given: string | undefined, cwd: string): string | undefined {
  if (given === undefined) return undefined
  const dir = path.resolve(cwd, given)
  const stats = statSync(dir, {throwIfNoEntry: false})
  if (stats && !stats.isDirectory()) {
    throw new DbuildError(`--manifest ${given}: ${dir} is not a directory`, ExitCode.USAGE, [
      'dbuild bake writes one manifest per target, as DIR/TARGET.jsonl: pass a directory (it is made when missing).',
    ])
  }
  return dir
}

/**
 * `--annotation` (and bake's `annotations`) came with buildx 0.12 (docker/buildx#2020); the exporters
 * that cannot keep one (the graphdriver store's image, local, tar) drop it without an error.
 */
export function canAnnotate(version: Pick<BuildxVersion, 'parts' | 'annotation'> | undefined): boolean {
  if (!version) return false
  if (!version.parts) return version.annotation === true
  const [major = 0, minor = 0] = version.parts
  return major > 0 || minor >= 12
}

/**
 * The buildx argv with the digest as a manifest annotation (not an index annotation: buildx 0.16+
 * refuses those for a single-platform export). Not a label: a label changes the image config, so the
 * image digest, and would make two builds of one commit differ wherever they ran.
 */
export function withDigestAnnotation(args: readonly string[], digest: string): string[] {
  const [docker = 'buildx', build = 'build', ...rest] = args
  return [docker, build, '--annotation', digestAnnotation(digest), ...rest]
}

/** The context digest as buildx's --annotation and bake's `annotations` take it: on each image manifest. */
export function digestAnnotation(digest: string): string {
  return `manifest:${CONTEXT_DIGEST_ANNOTATION}=${digest}`
}
