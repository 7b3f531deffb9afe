import os from 'node:os'
import path from 'node:path'

/** dbuild's own cache (stages, probe answers, the buildx version): $DBUILD_CACHE_DIR, else $XDG_CACHE_HOME/dbuild, else ~/.cache/dbuild. */
export function dbuildCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DBUILD_CACHE_DIR) return path.resolve(env.DBUILD_CACHE_DIR)
  if (env.XDG_CACHE_HOME) return path.join(path.resolve(env.XDG_CACHE_HOME), 'dbuild')
  return path.join(env.HOME ?? os.homedir(), '.cache', 'dbuild')
}
