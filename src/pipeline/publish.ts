/**
 * Pipeline step 8 (after a build that pushed): the context manifest goes to the registry too,
 * attached to the pushed image as an OCI artifact (src/registry/context-artifact.ts), so that
 * `dbuild explain --against IMAGE` works from any clone with nothing but the image's name. The
 * pushed digest is read from buildx's metadata file: the user's own when they gave one (read
 * only), else one of dbuild's in a temporary directory. A publish that fails is a warning: the
 * image is pushed already, and a build that works without dbuild must not fail for it.
 */
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {type FlagUse, parseBool} from '../buildx/argv.js'
import {fromWorkingDirectory} from '../working-dir.js'

/** A CSV exporter or cache spec (`type=registry,ref=x`) as its keys, lower-cased. */
export function specFields(spec: string): Map<string, string> {
  const fields = new Map<string, string>()
  for (const part of spec.split(',')) {
    const eq = part.indexOf('=')
    if (eq === -1) fields.set(part.trim().toLowerCase(), '')
    else
      fields.set(
        part.slice(0, eq).trim().toLowerCase(),
        part
          .slice(eq + 1)
          .trim()
          .replace(/^"(.*)"$/, '$1'),
      )
  }
  return fields
}

/** Whether an --output spec pushes: `type=registry`, or `type=image` with push=true. */
export function outputPushes(spec: string): boolean {
  const fields = specFields(spec)
  const type = fields.get('type')
  return type === 'registry' || (type === 'image' && parseBool(fields.get('push') || 'false') === true)
}

/** The refs of the registry caches among --cache-to specs. */
export function registryCacheRefs(cacheTo: readonly string[]): string[] {
  return cacheTo.flatMap((spec) => {
    const fields = specFields(spec)
    const ref = fields.get('ref')
    return fields.get('type') === 'registry' && ref ? [ref] : []
  })
}

/** Whether the build pushes an image (--push, or an --output that does). */
export function imagePushed(uses: readonly FlagUse[]): boolean {
  let push = false
  for (const use of uses) {
    if (use.flag?.long === 'push') push = parseBool(use.value) ?? push
    else if (use.flag?.long === 'output' && outputPushes(use.value ?? '')) push = true
  }
  return push
}

export interface PublishPlan {
  /** The metadata file buildx writes: the user's, or dbuild's own (then `own`, removed afterwards). */
  metadataFile?: string
  own?: string
  imagePushed: boolean
  cacheRefs: string[]
}

/**
 * What a build that pushes publishes; undefined for a build that pushes nothing. Adds a metadata file
 * only if the user gave none. `pushes`: bake, which has decided per target already.
 */
export function publishPlan(
  uses: readonly FlagUse[],
  cacheTo: readonly string[],
  cwd: string | undefined,
  pushes?: boolean,
): PublishPlan | undefined {
  const pushed = pushes ?? imagePushed(uses)
  const cacheRefs = registryCacheRefs(cacheTo)
  if (!pushed && cacheRefs.length === 0) return undefined
  if (!pushed) return {imagePushed: false, cacheRefs}
  const given = uses.findLast((use) => use.flag?.long === 'metadata-file')?.value
  if (given) return {metadataFile: fromWorkingDirectory(given, '--metadata-file', cwd), imagePushed: true, cacheRefs}
  const own = mkdtempSync(path.join(os.tmpdir(), 'dbuild-metadata-'))
  return {metadataFile: path.join(own, 'metadata.json'), own, imagePushed: true, cacheRefs}
}

/** The buildx argv with dbuild's own metadata file, when the plan has one. */
export function withMetadataFile(args: readonly string[], plan: PublishPlan | undefined): string[] {
  if (!plan?.own || !plan.metadataFile) return [...args]
  const [docker = 'buildx', build = 'build', ...rest] = args
  return [docker, build, '--metadata-file', plan.metadataFile, ...rest]
}

interface PushedImage {
  names: string[]
  digest: string
}

/** The pushed image of one build's metadata (bake's per target): `image.name` and `containerimage.digest`. */
export function pushedImage(metadata: Record<string, unknown>): PushedImage | undefined {
  const digest = metadata['containerimage.digest']
  const names = metadata['image.name']
  if (typeof digest !== 'string' || typeof names !== 'string') return undefined
  return {
    digest,
    names: names
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean),
  }
}

export function readMetadata(file: string): Record<string, unknown> | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

export interface PublishRequest {
  manifestFile: string
  contextDigest: string
  image?: PushedImage
  cacheRefs: readonly string[]
  env: NodeJS.ProcessEnv
}

/** Attaches the manifest to each repository the image went to and to each registry cache; notes and warnings, never a throw. */
export async function publishManifest(request: PublishRequest): Promise<{notes: string[]; warnings: string[]}> {
  const notes: string[] = []
  const warnings: string[] = []
  let text: string
  try {
    text = readFileSync(request.manifestFile, 'utf8')
  } catch (error) {
    return {
      notes,
      warnings: [
        `the context manifest was not attached to the pushed image: ${request.manifestFile} cannot be read (${(error as NodeJS.ErrnoException).code})`,
      ],
    }
  }
  const {RegistryClient, formatReference, parseReference, publishContextManifest} = await import('../registry/index.js')
  const targets: Array<{name: string; digest?: string}> = []
  const seen = new Set<string>()
  for (const name of request.image?.names ?? []) {
    const ref = parseReference(name)
    if (!ref) {
      warnings.push(`the context manifest was not attached to ${name}: not an image reference dbuild can parse`)
      continue
    }
    const key = `${ref.registry}/${ref.repository}`
    if (seen.has(key)) continue
    seen.add(key)
    targets.push({name, digest: request.image?.digest as string})
  }
  for (const name of request.cacheRefs) targets.push({name})
  for (const target of targets) {
    const ref = parseReference(target.name)
    if (!ref) {
      warnings.push(`the context manifest was not attached to the cache ${target.name}: not a reference dbuild can parse`)
      continue
    }
    const client = new RegistryClient(target.digest ? {registry: ref.registry, repository: ref.repository, digest: target.digest} : ref, {
      env: request.env,
      push: true,
    })
    try {
      const subject = await client.resolve()
      const published = await publishContextManifest(client, subject.descriptor, text, request.contextDigest)
      const shown = formatReference({registry: ref.registry, repository: ref.repository, digest: subject.descriptor.digest})
      const how = published.via === 'referrers' ? 'referrers API' : `referrers tag ${subject.descriptor.digest.replace(':', '-')}`
      notes.push(`context manifest attached to ${shown} (${how}); from another clone: dbuild explain --against ${target.name}`)
    } catch (error) {
      warnings.push(
        `the context manifest was not attached to ${target.name} (the ${target.digest ? 'image' : 'cache'} is pushed): ${(error as Error).message}`,
      )
    }
  }
  return {notes, warnings}
}

/** Removes dbuild's own metadata directory. */
export function cleanUp(plan: PublishPlan | undefined): void {
  if (plan?.own) rmSync(plan.own, {recursive: true, force: true})
}
