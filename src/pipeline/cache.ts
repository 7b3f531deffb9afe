/** Pipeline step 5: the --cache-from/--cache-to lists, the config's expanded and merged with the user's. */
import {exportableCacheTo} from '../cache/exporters.js'
import {cacheLists, placeholderValues} from '../cache/lists.js'
import {isCI} from '../ci.js'
import type {LoadedConfig} from '../config.js'

export interface CacheRequest {
  loaded: LoadedConfig
  /** Where placeholders such as the branch are read (the context, or cwd). */
  dir: string
  env: NodeJS.ProcessEnv
  userCacheFrom: readonly string[]
  userCacheTo: readonly string[]
  /** --export-cache was given. */
  exportCache: boolean
  /** --builder, whose cache exporters the config's cacheTo is checked against. */
  builder?: string
  /** A config cacheTo the builder cannot export is dropped with a warning. */
  warn?: (message: string) => void
}

export interface CacheResult {
  cacheFrom: string[]
  cacheTo: string[]
  notes: string[]
}

export async function resolveCacheLists(request: CacheRequest): Promise<CacheResult> {
  const {config, path: configPath} = request.loaded
  const configSpecs = [...(config.cacheFrom ?? []), ...(config.cacheTo ?? [])]
  const placeholders = await placeholderValues(configSpecs, request.dir, {
    env: request.env,
    ...(config.defaultBranch ? {defaultBranch: config.defaultBranch} : {}),
  })
  const caches = cacheLists({
    configCacheFrom: config.cacheFrom,
    configCacheTo: config.cacheTo,
    userCacheFrom: request.userCacheFrom,
    userCacheTo: request.userCacheTo,
    values: placeholders.values,
    exportCache: request.exportCache || isCI(request.env),
    ...(configPath ? {configPath} : {}),
  })
  const cacheTo = await exportableCacheTo(caches.cacheTo, {
    env: request.env,
    ...(request.builder === undefined ? {} : {builder: request.builder}),
    where: configPath ?? '.dbuild.json',
    warn: request.warn ?? (() => {}),
  })
  return {cacheFrom: caches.cacheFrom, cacheTo, notes: [...placeholders.notes, ...caches.notes]}
}
