/**
 * Which cache exporters (`--cache-to type=…`) a builder has, so that a `.dbuild.json` cacheTo never
 * breaks a build that works without dbuild. Measured with buildx 0.13.1 on Docker Engine 26.1 and
 * buildx 0.29.1 on Docker Engine 28.5 (containerd 2.1), alike:
 * - docker driver, graphdriver image store: only `inline`; every other type fails the whole build
 *   with "Cache export is not supported for the docker driver".
 * - docker driver, containerd image store: inline, registry, local and gha; s3 and azblob fail with
 *   "unknown cache exporter" (the engine's BuildKit does not register them).
 * - docker-container, kubernetes and remote drivers run BuildKit itself: every type.
 */
import {type ImageStore, imageStoreFromLabels, inspectBuilder} from '../buildx/inspect.js'

export interface CacheBuilder {
  /** The builder's name, for messages. */
  name?: string
  driver?: string
  /** The image store, known for the docker driver only. */
  imageStore?: ImageStore
}

const DOCKER_DRIVER_EXPORTS: Record<ImageStore, readonly string[]> = {
  graphdriver: ['inline'],
  containerd: ['inline', 'registry', 'local', 'gha'],
}

/** A spec's type: `type=local,dest=x` → local; a bare reference is a registry cache, as in buildx. */
export function cacheType(spec: string): string {
  const trimmed = spec.trim()
  if (!trimmed.includes('=')) return 'registry'
  const type = trimmed
    .split(',')
    .map((part) => part.trim())
    .find((part) => part.startsWith('type='))
  return type ? type.slice('type='.length) : 'registry'
}

/** The cache types the builder exports; undefined when it is not known to be limited (or cannot be told). */
export function supportedCacheExports(builder: CacheBuilder): readonly string[] | undefined {
  if (builder.driver !== 'docker' || builder.imageStore === undefined) return undefined
  return DOCKER_DRIVER_EXPORTS[builder.imageStore]
}

function describe(builder: CacheBuilder): string {
  return `builder ${builder.name ?? '(current)'} (driver ${builder.driver ?? '?'}${builder.imageStore ? `, ${builder.imageStore} image store` : ''})`
}

/** What to do instead, for a builder that lacks the exporter. */
export const CACHE_EXPORT_FIX =
  'use a builder that runs BuildKit itself (docker buildx create --use --driver docker-container), or cacheTo type=inline'

export interface UnsupportedCacheExport {
  spec: string
  /** Why, naming the builder: `the builder default (driver docker, …) cannot export a registry cache (only inline)`. */
  reason: string
}

/** The specs the builder cannot export, each with a message naming the fix. */
export function unsupportedCacheExports(specs: readonly string[], builder: CacheBuilder): UnsupportedCacheExport[] {
  const supported = supportedCacheExports(builder)
  if (supported === undefined) return []
  return specs
    .filter((spec) => !supported.includes(cacheType(spec)))
    .map((spec) => ({spec, reason: `the ${describe(builder)} cannot export a ${cacheType(spec)} cache (only ${supported.join(', ')})`}))
}

/**
 * The config's cacheTo list without the specs the build's builder cannot export: such a spec would
 * fail a build that works without dbuild. Each one dropped is reported through `warn` with the fix.
 * When the builder cannot be inspected, the list is kept: buildx will say what is wrong.
 */
export async function exportableCacheTo(
  specs: readonly string[],
  options: {env: NodeJS.ProcessEnv; builder?: string; where: string; warn: (message: string) => void},
): Promise<string[]> {
  if (specs.length === 0) return []
  const builder = await inspectBuilder(options.env, options.builder)
  if (!builder.ok) return [...specs]
  const imageStore = imageStoreFromLabels(builder)
  const unsupported = unsupportedCacheExports(specs, {
    ...(builder.name ? {name: builder.name} : {}),
    ...(builder.driver ? {driver: builder.driver} : {}),
    ...(imageStore ? {imageStore} : {}),
  })
  for (const entry of unsupported)
    options.warn(`${options.where} cacheTo ${entry.spec} dropped: ${entry.reason}; to export it, ${CACHE_EXPORT_FIX}`)
  return specs.filter((spec) => !unsupported.some((entry) => entry.spec === spec))
}
