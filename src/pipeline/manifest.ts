/**
 * Pipeline step 3b: the context manifest of the build (see src/explain/manifest.ts), written with
 * `--manifest FILE`, or in CI beside the stage, so a pipeline can keep it and `dbuild explain
 * --against` can say later why another build missed its cache. The digest also goes on the image as
 * the manifest annotation dev.dbuild.context.digest where buildx can set one.
 */
import path from 'node:path'

import type {ParsedBuildArgv} from '../buildx/argv.js'
import type {BuildxVersion} from '../buildx/check.js'
import {isCI} from '../cache/index.js'
import {DbuildError} from '../exit-codes.js'
import {manifestFor} from '../explain/current.js'
import {writeManifest} from '../explain/manifest.js'
import type {Inputs} from './inputs.js'
import type {MainContext} from './stage.js'

export const CONTEXT_DIGEST_ANNOTATION = 'dev.dbuild.context.digest'

/** Whether this build writes a manifest: --manifest FILE, or CI with a local context. */
export function wantsManifest(parsed: ParsedBuildArgv, env: NodeJS.ProcessEnv): boolean {
  return parsed.own.manifest !== undefined || isCI(env)
}

/**
 * Writes the manifest of the main context; returns its file and digest, or nothing for a remote context.
 * A manifest the user asked for (--manifest FILE) that cannot be written fails the build; the one CI
 * writes on its own is only a warning, since a build that works without dbuild must not fail for it.
 */
export function writeBuildManifest(
  parsed: ParsedBuildArgv,
  inputs: Inputs,
  main: MainContext,
  warn: (message: string) => void,
): {file?: string; digest: string; note: string} | undefined {
  if (!main.digest || inputs.contextDir === undefined) return undefined
  // in CI without --manifest: dbuild's own directory for this context, never the work tree
  const file = parsed.own.manifest === undefined ? path.join(main.root as string, 'manifest.jsonl') : path.resolve(inputs.cwd, parsed.own.manifest)
  const manifest = manifestFor(main.digest, {
    context: inputs.contextDir,
    ...(inputs.dockerfile ? {dockerfile: inputs.dockerfile} : {}),
    ...(inputs.ignoreFile ? {ignoreFile: inputs.ignoreFile} : {}),
    buildArgs: parsed.buildArgs,
    ...(parsed.platforms.length > 0 ? {platform: parsed.platforms.join(',')} : {}),
    ...(parsed.target === undefined ? {} : {target: parsed.target}),
    ...(main.path === 'unstaged' ? {modesAsIs: true} : {}),
  })
  try {
    writeManifest(file, manifest)
  } catch (error) {
    if (parsed.own.manifest !== undefined || !(error instanceof DbuildError)) throw error
    warn(`${error.message}; the build goes on without it (pass --manifest FILE to choose where it goes)`)
    return {digest: main.digest.digest, note: `context digest ${main.digest.digest}`}
  }
  return {file, digest: main.digest.digest, note: `context digest ${main.digest.digest}; manifest written to ${file} (keep it, then: dbuild explain --against FILE)`}
}

/** `--annotation` came with buildx 0.12 (docker/buildx#2020); the exporters that cannot keep one drop it without an error. */
export function canAnnotate(version: BuildxVersion | undefined): boolean {
  if (!version) return false
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
  return [docker, build, '--annotation', `manifest:${CONTEXT_DIGEST_ANNOTATION}=${digest}`, ...rest]
}
