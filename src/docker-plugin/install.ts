/**
 * dbuild as a Docker CLI plugin: `docker-dbuild` in `$DOCKER_CONFIG/cli-plugins`, and optionally
 * `"aliases": {"builder": "dbuild"}` in `$DOCKER_CONFIG/config.json`, so that plain `docker build`
 * is routed through dbuild (the way `docker buildx install` and Depot make themselves the builder).
 * Install, uninstall and status are plain functions over a docker config directory.
 */
import {createHash} from 'node:crypto'
import {chmodSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync} from 'node:fs'
import path from 'node:path'

import {applyEdits, type ParseError, modify, parse} from 'jsonc-parser'

import {shellQuote} from '../buildx/quote.js'
import {DbuildError, ExitCode} from '../exit-codes.js'
import {writeFileAtomic} from '../write-atomic.js'
import {PLUGIN_ENTRY} from './entry.js'
import {PLUGIN_NAME} from './argv.js'

export const pluginPath = (configDir: string) => path.join(configDir, 'cli-plugins', `docker-${PLUGIN_NAME}`)
const configPath = (configDir: string) => path.join(configDir, 'config.json')
/** What uninstall needs to give config.json back: the bytes before the alias, and the bytes dbuild wrote. */
const backupPath = (configDir: string) => path.join(configDir, 'cli-plugins', `.docker-${PLUGIN_NAME}.config-backup.json`)

export interface PluginTarget {
  /** Absolute path of node. */
  node: string
  /** Absolute path of dbuild's bin/run.js. */
  bin: string
  version: string
}

/**
 * The plugin executable. POSIX sh, so the metadata the CLI asks for before every run (and for
 * `docker --help`) costs no node start-up. Metadata keys: docker/cli docs/extend/cli_plugins.md.
 */
export function pluginScript(target: PluginTarget): string {
  const metadata = JSON.stringify({
    SchemaVersion: '0.1.0',
    Vendor: 'dbuild',
    Version: target.version,
    ShortDescription: 'Reproducible docker buildx builds: staged contexts, rewritten Dockerfiles, one cache list',
  })
  return [
    '#!/bin/sh',
    '# docker-dbuild: the Docker CLI plugin of dbuild (written by `dbuild docker install`)',
    'if [ "$1" = docker-cli-plugin-metadata ]; then',
    `  printf '%s\\n' ${shellQuote(metadata)}`,
    '  exit 0',
    'fi',
    `exec ${shellQuote(target.node)} ${shellQuote(target.bin)} ${PLUGIN_ENTRY} "$@"`,
    '',
  ].join('\n')
}

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex')

/**
 * config.json holds registry credentials: a rewrite keeps its mode (docker creates it 0600). A
 * config.json that is a symlink (stow, chezmoi, a dotfiles checkout) is written through, to the
 * file it points at, as docker's own configfile.Save does: the link stays a link.
 */
function writeConfig(file: string, data: string | Buffer): void {
  const target = existsSync(file) ? realpathSync(file) : file
  const mode = existsSync(target) ? statSync(target).mode & 0o777 : 0o600
  writeFileAtomic(target, data, mode)
}

interface Backup {
  /** config.json before the alias, base64; null when there was none. */
  original: string | null
  /** sha256 of the config.json dbuild wrote. */
  written: string
}

function readJsonObject(file: string, text: string): Record<string, unknown> {
  const errors: ParseError[] = []
  const value: unknown = parse(text, errors, {allowTrailingComma: false, disallowComments: true})
  if (errors.length > 0 || typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DbuildError(`${file}: not a JSON object; dbuild leaves it alone`, ExitCode.CONFIG, [
      'Fix the file (docker reads it too), then run dbuild docker install --alias again.',
    ])
  }
  return value as Record<string, unknown>
}

function builderAlias(configDir: string): string | undefined {
  const file = configPath(configDir)
  if (!existsSync(file)) return undefined
  try {
    const aliases = readJsonObject(file, readFileSync(file, 'utf8')).aliases as Record<string, unknown> | undefined
    return typeof aliases?.builder === 'string' ? aliases.builder : undefined
  } catch {
    return undefined
  }
}

export interface InstallResult {
  plugin: string
  /** The plugin file was written (it was missing or differed). */
  written: boolean
  alias: 'set' | 'already set' | 'not asked'
  config: string
}

/** Writes the plugin, and with `alias` points docker's builder alias at it, keeping config.json's other bytes. */
export function installPlugin(configDir: string, target: PluginTarget, options: {alias: boolean}): InstallResult {
  const plugin = pluginPath(configDir)
  const script = pluginScript(target)
  const current = existsSync(plugin) ? readFileSync(plugin, 'utf8') : undefined
  try {
    if (current !== script) writeFileAtomic(plugin, script, 0o755)
    chmodSync(plugin, 0o755)
  } catch (error) {
    throw new DbuildError(
      `${plugin}: cannot write the plugin (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      ExitCode.CANT_CREATE,
    )
  }
  const result: InstallResult = {plugin, written: current !== script, alias: 'not asked', config: configPath(configDir)}
  if (!options.alias) return result
  if (builderAlias(configDir) === PLUGIN_NAME) return {...result, alias: 'already set'}

  const file = configPath(configDir)
  const original = existsSync(file) ? readFileSync(file) : undefined
  const text = original?.toString('utf8') ?? '{}\n'
  readJsonObject(file, text)
  // docker writes config.json with tab indentation; a minimal edit keeps every other byte
  const edited = applyEdits(text, modify(text, ['aliases', 'builder'], PLUGIN_NAME, {formattingOptions: {insertSpaces: false, tabSize: 1}}))
  // the first backup holds the bytes from before dbuild; a later install (after a reset alias) keeps it
  const backup: Backup = existsSync(backupPath(configDir))
    ? {...(JSON.parse(readFileSync(backupPath(configDir), 'utf8')) as Backup), written: sha256(edited)}
    : {original: original === undefined ? null : original.toString('base64'), written: sha256(edited)}
  mkdirSync(path.dirname(backupPath(configDir)), {recursive: true})
  writeFileAtomic(backupPath(configDir), `${JSON.stringify(backup)}\n`, 0o600)
  writeConfig(file, edited)
  return {...result, alias: 'set'}
}

export interface UninstallResult {
  plugin: string
  removed: boolean
  /** restored: config.json is byte for byte what it was; edited: it changed since, so only the alias was taken out. */
  config: 'restored' | 'edited' | 'untouched'
}

/** Removes the plugin; gives config.json back byte for byte, or when it changed since install, takes out only dbuild's alias. */
export function uninstallPlugin(configDir: string): UninstallResult {
  const plugin = pluginPath(configDir)
  const removed = existsSync(plugin)
  rmSync(plugin, {force: true})
  const file = configPath(configDir)
  const backupFile = backupPath(configDir)
  let config: UninstallResult['config'] = 'untouched'
  if (existsSync(backupFile)) {
    const backup = JSON.parse(readFileSync(backupFile, 'utf8')) as Backup
    const now = existsSync(file) ? readFileSync(file) : undefined
    if (now !== undefined && sha256(now) === backup.written) {
      if (backup.original === null) rmSync(file)
      else writeConfig(file, Buffer.from(backup.original, 'base64'))
      config = 'restored'
    } else if (now !== undefined && builderAlias(configDir) === PLUGIN_NAME) {
      // docker (login, context use) or the user rewrote it since: their bytes win, only the alias goes
      const text = now.toString('utf8')
      writeConfig(file, applyEdits(text, modify(text, ['aliases', 'builder'], undefined, {})))
      config = 'edited'
    }
    rmSync(backupFile)
  } else if (builderAlias(configDir) === PLUGIN_NAME) {
    const text = readFileSync(file, 'utf8')
    writeConfig(file, applyEdits(text, modify(text, ['aliases', 'builder'], undefined, {})))
    config = 'edited'
  }
  return {plugin, removed, config}
}

export interface PluginStatus {
  plugin: string
  /** current: the plugin this dbuild writes; other: a docker-dbuild of another install or version. */
  installed: 'current' | 'other' | 'missing'
  executable: boolean
  /** docker's builder alias, when set. */
  alias?: string
  config: string
}

export function pluginStatus(configDir: string, target: PluginTarget): PluginStatus {
  const plugin = pluginPath(configDir)
  const alias = builderAlias(configDir)
  if (!existsSync(plugin))
    return {plugin, installed: 'missing', executable: false, ...(alias ? {alias} : {}), config: configPath(configDir)}
  const installed = readFileSync(plugin, 'utf8') === pluginScript(target) ? 'current' : 'other'
  const executable = (statSync(plugin).mode & 0o111) !== 0
  return {plugin, installed, executable, ...(alias ? {alias} : {}), config: configPath(configDir)}
}

export function formatStatus(status: PluginStatus): string {
  const installed =
    status.installed === 'current' ? 'installed' : 'installed by another dbuild (run dbuild docker install to point it at this one)'
  const plugin =
    status.installed === 'missing'
      ? `plugin: not installed (${status.plugin}); run dbuild docker install`
      : `plugin: ${installed}: ${status.plugin}${status.executable ? '' : ' (not executable)'}`
  const alias =
    status.alias === PLUGIN_NAME
      ? `alias: docker build runs through dbuild (${status.config}: aliases.builder = "${PLUGIN_NAME}")`
      : status.alias
        ? `alias: docker build runs through ${status.alias}, not dbuild (dbuild docker install --alias changes it)`
        : 'alias: not set; docker build does not run through dbuild (dbuild docker install --alias sets it)'
  return `${plugin}\n${alias}`
}

/** This dbuild, as the plugin should run it: this node, and bin/run.js under the package root. */
export function pluginTarget(packageRoot: string, version: string): PluginTarget {
  return {node: process.execPath, bin: path.join(packageRoot, 'bin', 'run.js'), version}
}
