/**
 * dbuild's `docker-buildx` shim: a POSIX sh script in `$DOCKER_CONFIG/cli-plugins`, the first place
 * the docker CLI (and Compose, which runs the plugin binary itself) looks for buildx. `build` and
 * `bake` (and buildx's aliases of them, `b` and `f`) run through dbuild; everything else, the
 * plugin metadata included, is the real buildx, exec'd with argv, stdin, stdout, stderr, signals and
 * exit status untouched. The script finds the real buildx each time it runs, in docker's order.
 */
import {existsSync, lstatSync, readFileSync, renameSync, rmSync, statSync} from 'node:fs'
import path from 'node:path'

import {parse} from 'jsonc-parser'

import {shellQuote} from '../buildx/quote.js'
import {DbuildError, ExitCode} from '../exit-codes.js'
import {writeFileAtomic} from '../write-atomic.js'
import {BUILDX_SHIM_ENTRY, SHIM_BYPASS} from './entry.js'
import type {PluginTarget} from './install.js'

/** A line every shim holds: how a shim (of any dbuild version) is told from a real buildx. */
export const SHIM_MARKER = '# dbuild-buildx-shim'

export const shimPath = (configDir: string) => path.join(configDir, 'cli-plugins', 'docker-buildx')
/** The docker-buildx that stood there before the shim, moved aside as it was (a link stays a link); docker lists only docker-* names. */
export const keptPath = (configDir: string) => path.join(configDir, 'cli-plugins', '.docker-buildx.dbuild-kept')
/** Says the shim was installed here, so a shim written over by another buildx shows as such. */
const statePath = (configDir: string) => path.join(configDir, 'cli-plugins', '.docker-buildx.dbuild-installed')

/** docker's system plugin directories on Linux, after $DOCKER_CONFIG/cli-plugins and cliPluginsExtraDirs (docker/cli cli-plugins/manager). */
const SYSTEM_PLUGIN_DIRS = [
  '/usr/local/lib/docker/cli-plugins',
  '/usr/local/libexec/docker/cli-plugins',
  '/usr/lib/docker/cli-plugins',
  '/usr/libexec/docker/cli-plugins',
]

/** config.json's cliPluginsExtraDirs, searched by docker after $DOCKER_CONFIG/cli-plugins. */
function extraPluginDirs(configDir: string): string[] {
  const file = path.join(configDir, 'config.json')
  if (!existsSync(file)) return []
  try {
    const value = parse(readFileSync(file, 'utf8')) as {cliPluginsExtraDirs?: unknown} | undefined
    const dirs = value?.cliPluginsExtraDirs
    return Array.isArray(dirs) ? dirs.filter((dir): dir is string => typeof dir === 'string' && path.isAbsolute(dir)) : []
  } catch {
    return []
  }
}

/** Where the real buildx may be, in the order docker searches: the one the shim displaced first. */
export function realCandidates(configDir: string): string[] {
  return [keptPath(configDir), ...[...extraPluginDirs(configDir), ...SYSTEM_PLUGIN_DIRS].map((dir) => path.join(dir, 'docker-buildx'))]
}

const isShim = (file: string) => {
  try {
    return statSync(file).size < 64 * 1024 && readFileSync(file, 'utf8').includes(SHIM_MARKER)
  } catch {
    return false
  }
}

/** The buildx the shim runs now: the first executable candidate that is not the shim itself (nor another shim). */
export function findRealBuildx(configDir: string): string | undefined {
  const shim = existsSync(shimPath(configDir)) ? statSync(shimPath(configDir)) : undefined
  for (const candidate of realCandidates(configDir)) {
    try {
      const found = statSync(candidate)
      if (!found.isFile() || (found.mode & 0o111) === 0) continue
      if (shim && found.dev === shim.dev && found.ino === shim.ino) continue
      if (isShim(candidate)) continue
      return candidate
    } catch {
      continue
    }
  }
  return undefined
}

/**
 * The script. Started by docker its argv is `[docker's global flags] buildx [--builder X|-D] CMD …`;
 * started by Compose, `CMD …`. Only CMD decides: build, b, bake and f go to dbuild, the rest to buildx.
 */
export function shimScript(target: PluginTarget, configDir: string): string {
  const candidates = realCandidates(configDir).map(shellQuote).join(' ')
  const self = shellQuote(shimPath(configDir))
  return [
    '#!/bin/sh',
    SHIM_MARKER,
    `# docker-buildx: build and bake through dbuild ${target.version}, everything else the real buildx (dbuild docker install --buildx)`,
    `# ${SHIM_BYPASS}=0 runs the real buildx for one command; dbuild sets it for its own buildx calls.`,
    'real=',
    `for candidate in ${candidates}; do`,
    `  if [ -f "$candidate" ] && [ -x "$candidate" ] && ! [ "$candidate" -ef ${self} ]; then`,
    '    real=$candidate',
    '    break',
    '  fi',
    'done',
    'if [ -z "$real" ]; then',
    `  echo "docker-buildx (dbuild's shim): no real buildx in $(echo ${candidates})" >&2`,
    '  exit 127',
    'fi',
    `[ "\${${SHIM_BYPASS}-}" = 0 ] && exec "$real" "$@"`,
    // the subcommand: docker's global flags (those with a value skip it), `buildx`, buildx's own flags
    'dbuild=0 seen=0 skip=0',
    'for arg do',
    '  if [ "$skip" = 1 ]; then skip=0; continue; fi',
    '  case $seen:$arg in',
    '    0:--config|0:--context|0:-c|0:--host|0:-H|0:--log-level|0:-l|0:--tlscacert|0:--tlscert|0:--tlskey) skip=1 ;;',
    '    0:--*=*|0:--tls|0:--tlsverify|0:-c?*|0:-H?*|0:-l?*) ;;',
    '    0:buildx) seen=1 ;;',
    '    *:--builder) skip=1 ;;',
    '    *:--builder=*|*:-D|*:--debug|*:--debug=*) ;;',
    '    *:build|*:b|*:bake|*:f) dbuild=1; break ;;',
    '    *) break ;;',
    '  esac',
    'done',
    '[ "$dbuild" = 1 ] || exec "$real" "$@"',
    `${SHIM_BYPASS}=0`,
    `export ${SHIM_BYPASS}`,
    `exec ${shellQuote(target.node)} ${shellQuote(target.bin)} ${BUILDX_SHIM_ENTRY} "$@"`,
    '',
  ].join('\n')
}

export interface ShimInstallResult {
  shim: string
  /** written: new or repaired; current: already this shim. */
  state: 'written' | 'current'
  /** The docker-buildx that stood there, kept aside for uninstall (and run as the real buildx). */
  kept?: string
  /** The buildx the shim runs; undefined when none is found (the shim then fails with 127). */
  real?: string
}

function exists(file: string): boolean {
  try {
    lstatSync(file)
    return true
  } catch {
    return false
  }
}

/** Installs (or repairs) the shim; a docker-buildx of anyone else's there is kept aside as it is. */
export function installBuildxShim(configDir: string, target: PluginTarget): ShimInstallResult {
  const shim = shimPath(configDir)
  const script = shimScript(target, configDir)
  try {
    if (exists(shim) && !isShim(shim)) {
      // a real buildx (or one written over the shim: setup-buildx-action, a package upgrade): the newest one is kept
      renameSync(shim, keptPath(configDir))
    }
    const current = exists(shim) && lstatSync(shim).isFile() ? readFileSync(shim, 'utf8') : undefined
    if (current !== script) writeFileAtomic(shim, script, 0o755)
    writeFileAtomic(statePath(configDir), `${target.version}\n`, 0o644)
    const real = findRealBuildx(configDir)
    return {
      shim,
      state: current === script ? 'current' : 'written',
      ...(exists(keptPath(configDir)) ? {kept: keptPath(configDir)} : {}),
      ...(real ? {real} : {}),
    }
  } catch (error) {
    if (error instanceof DbuildError) throw error
    throw new DbuildError(
      `${shim}: cannot install the buildx shim (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      ExitCode.CANT_CREATE,
    )
  }
}

export interface ShimUninstallResult {
  shim: string
  /**
   * restored: the docker-buildx from before is back; removed: there was none; replaced: another buildx
   * had written over the shim and stays; absent: nothing to do.
   */
  outcome: 'restored' | 'removed' | 'replaced' | 'absent'
}

/** Takes the shim out and puts back what stood there before, as it was. */
export function uninstallBuildxShim(configDir: string): ShimUninstallResult {
  const shim = shimPath(configDir)
  const kept = keptPath(configDir)
  const installed = exists(statePath(configDir))
  let outcome: ShimUninstallResult['outcome'] = 'absent'
  if (exists(shim) && isShim(shim)) {
    rmSync(shim)
    outcome = 'removed'
    if (exists(kept)) {
      renameSync(kept, shim)
      outcome = 'restored'
    }
  } else if (installed || exists(kept)) {
    // the buildx that replaced the shim is the newer choice: it stays, and what the shim displaced goes
    if (exists(kept)) rmSync(kept)
    outcome = exists(shim) ? 'replaced' : 'absent'
  }
  rmSync(statePath(configDir), {force: true})
  return {shim, outcome}
}

export interface ShimStatus {
  shim: string
  /** installed: this dbuild's shim; other: a shim of another dbuild; overwritten: installed, then replaced by another docker-buildx; missing. */
  state: 'installed' | 'other' | 'overwritten' | 'missing'
  real?: string
}

/** Without `target` (doctor), any dbuild shim counts as installed. */
export function buildxShimStatus(configDir: string, target?: PluginTarget): ShimStatus {
  const shim = shimPath(configDir)
  const real = findRealBuildx(configDir)
  const withReal = real ? {real} : {}
  if (exists(shim) && isShim(shim))
    return {shim, state: !target || readFileSync(shim, 'utf8') === shimScript(target, configDir) ? 'installed' : 'other', ...withReal}
  if (exists(statePath(configDir))) return {shim, state: 'overwritten', ...withReal}
  return {shim, state: 'missing', ...withReal}
}

export function formatShimStatus(status: ShimStatus): string {
  const real = status.real ? `real buildx: ${status.real}` : 'no real buildx found'
  switch (status.state) {
    case 'installed':
      return `buildx shim: installed: docker buildx build/bake and Compose run through dbuild (${status.shim}; ${real})`
    case 'other':
      return (
        `buildx shim: installed by another dbuild or for another setup (${status.shim}); run dbuild docker ` +
        `install --buildx to point it at this one (${real})`
      )
    case 'overwritten':
      return (
        `buildx shim: written over by another docker-buildx (setup-buildx-action, a package, a copy) at ` +
        `${status.shim}; run dbuild docker install --buildx to repair it`
      )
    default:
      return 'buildx shim: not installed; docker buildx build and Compose do not run through dbuild (dbuild docker install --buildx)'
  }
}
