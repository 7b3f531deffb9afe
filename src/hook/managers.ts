/**
 * Registering through a hook manager: husky 9 and lefthook.
 *
 * husky 9 sets core.hooksPath=.husky/_ and rewrites that directory on every `npm install` (through
 * `prepare`); each `.husky/_/<hook>` runs the committed `.husky/<hook>` with `sh -e`. dbuild adds a
 * guarded block at the top of `.husky/<hook>` (created when missing), so every clone gets it through git.
 *
 * lefthook writes its own `<hook>` files into the hooks directory and moves any other hook to
 * `<hook>.old`, which it does not run. dbuild adds a script lefthook runs with git's arguments: the
 * config in `lefthook-local.yml` (uncommitted, this clone only) or `lefthook.yml` with --shared, the script in
 * lefthook's source dir (`.lefthook-local/<hook>/` or `.lefthook/<hook>/`), and asks lefthook to
 * install the hooks it now needs.
 */
import {spawnSync} from 'node:child_process'
import path from 'node:path'

import {DbuildError, ExitCode} from '../exit-codes.js'
import {
  blockText,
  editText,
  findBlock,
  findBlocks,
  moveFile,
  present,
  readText,
  removeEmptyDirs,
  removeFile,
  withBlock,
  withoutBlock,
  writeText,
} from './files.js'
import {inspectHook, toolOf, uninstallHookFile} from './hooks-dir.js'
import type {HookAction, HookChange, HookReport, HooksLocation, Manager} from './types.js'
import {CHAINED_SUFFIX, HOOK_NAMES, type HookName, hookVersion, lefthookScript, modesProgram} from './scripts.js'

/** lefthook's config names, in its own order of precedence. */
const LEFTHOOK_CONFIGS = [
  'lefthook.yml',
  '.lefthook.yml',
  'lefthook.yaml',
  '.lefthook.yaml',
  'lefthook.toml',
  '.lefthook.toml',
  'lefthook.json',
  '.lefthook.json',
  'lefthook.jsonc',
  '.lefthook.jsonc',
]

/** The lefthook setup of the work tree at `root`, when there is one (a config, or lefthook's hooks in `dir`). */
export function lefthookConfig(root: string, dir: string): Manager | undefined {
  const config = LEFTHOOK_CONFIGS.find((name) => present(path.join(root, name)))
  if (config) return {kind: 'lefthook', config: path.join(root, config)}
  if (HOOK_NAMES.some((name) => /call_lefthook/.test(readText(path.join(dir, name)) ?? '')))
    return {kind: 'lefthook', config: path.join(root, 'lefthook.yml')}
  return undefined
}

const SCRIPT_NAME = 'dbuild-modes.sh'

/** Where dbuild's lefthook registration lives: the config it edits and lefthook's source dir for scripts. */
function lefthookTarget(root: string, config: string, shared: boolean): {config: string; sourceDir: string} {
  if (shared) {
    if (!/\.ya?ml$/.test(config)) {
      throw new DbuildError(`${config}: dbuild edits only YAML lefthook configs`, ExitCode.INPUT, [
        'Use dbuild hook install without --shared (it writes lefthook-local.yml), or add dbuild-modes.sh as a script by hand.',
      ])
    }
    return {config, sourceDir: path.join(root, '.lefthook')}
  }
  const base = path.basename(config).replace(/\.(toml|jsonc?)$/, '.yml')
  const local = path.join(root, base.replace(/^(\.?lefthook)/, '$1-local'))
  const existing = ['lefthook-local.yml', '.lefthook-local.yml', 'lefthook-local.yaml', '.lefthook-local.yaml']
    .map((name) => path.join(root, name))
    .find(present)
  return {config: existing ?? local, sourceDir: path.join(root, '.lefthook-local')}
}

const ADDED = '# lefthook hooks installed for dbuild:'

/** The YAML that makes lefthook run dbuild's script for a hook, as the children of its section. */
function scriptEntry(indent: string): string {
  return `${indent}scripts:\n${indent}${indent}"${SCRIPT_NAME}":\n${indent}${indent}${indent}runner: sh\n`
}

/**
 * A lefthook config with dbuild's registration: one script per hook, run by sh with git's arguments.
 * A hook the config already has a section for gets a block inside that section (indented as its
 * children are); the others get their sections in a block at the end. Blocks are cut out byte for byte
 * on uninstall. The hooks lefthook had not installed before (it installs them for this config) are
 * named in a comment, so that uninstall removes exactly those.
 */
function lefthookEdit(file: string, original: string | undefined, added: HookName[]): string {
  const text = original === undefined ? undefined : withoutBlock(original)
  const lines = (text ?? '').split('\n')
  const record = added.length > 0 ? `${ADDED} ${added.join(' ')}\n` : ''
  const inline = new Map<number, {name: HookName; indent: string}>()
  const sections: string[] = []
  for (const name of HOOK_NAMES) {
    const at = lines.findIndex((line) => new RegExp(`^${name}:[ \\t]*(#.*)?$`).test(line))
    if (at === -1) {
      if (lines.some((line) => new RegExp(`^["']?${name}["']?[ \\t]*:`).test(line))) {
        throw new DbuildError(`${file}: the ${name} section is not in block style (\`${name}:\` on a line of its own)`, ExitCode.INPUT, [
          `Add under ${name}: scripts: {"${SCRIPT_NAME}": {runner: sh}} by hand, or write the section in block style and run dbuild hook install again.`,
        ])
      }
      sections.push(`${name}:\n${scriptEntry('  ')}`)
      continue
    }
    let end = lines.findIndex((line, i) => i > at && /^[^\s#]/.test(line))
    if (end === -1) end = lines.length
    const child = lines.slice(at + 1, end).find((line) => /^\s+[^\s#]/.test(line))
    const indent = child ? (/^\s+/.exec(child)?.[0] ?? '  ') : '  '
    const taken = lines.slice(at + 1, end).findIndex((line) => line.startsWith(`${indent}scripts:`))
    if (taken !== -1) {
      throw new DbuildError(`${file}:${at + taken + 2}: ${name} already has scripts; dbuild adds its own scripts key`, ExitCode.INPUT, [
        `Add "${SCRIPT_NAME}": {runner: sh} under that scripts key by hand.`,
      ])
    }
    inline.set(at, {name, indent})
  }
  if (text === undefined) return blockText('lefthook', record + sections.join(''), 'new-file')
  // the record goes into the first block: the one at the end when there is one
  const first = sections.length > 0 ? -1 : Math.min(...inline.keys())
  const block = (i: number, {name, indent}: {name: HookName; indent: string}) =>
    blockText(name, (i === first ? indent + record : '') + scriptEntry(indent), '', indent)
  let out = lines
    .map((line, i) => {
      const entry = inline.get(i)
      return entry ? `${line}\n${block(i, entry)}`.slice(0, -1) : line
    })
    .join('\n')
  if (sections.length > 0) {
    const body = record + sections.join('')
    out = out === '' || out.endsWith('\n') ? out + blockText('lefthook', body, '') : out + blockText('lefthook', body, 'newline')
  }
  return out
}

/** The hooks a lefthook config's blocks say lefthook installed for dbuild. */
function addedFor(text: string | undefined): HookName[] {
  const line =
    new RegExp(`^\\s*${ADDED}(.*)$`, 'm')
      .exec(text ?? '')?.[1]
      ?.trim()
      .split(' ') ?? []
  return HOOK_NAMES.filter((name) => line.includes(name))
}

/** The block dbuild adds to `.husky/<hook>`: the program in a subshell, so husky's `sh -e` never stops at it. */
function huskyBody(name: HookName): string {
  return `(\n${modesProgram(name)}\n) || :\n`
}

/** Where each registration of `location` lives, and whether it holds dbuild's current part. */
interface Registration {
  name: HookName
  file: string
  state: 'current' | 'missing' | 'outdated'
  version?: string
}

function huskyRegistrations(huskyDir: string): Registration[] {
  return HOOK_NAMES.map((name) => {
    const file = path.join(huskyDir, name)
    const block = findBlock(readText(file) ?? '')
    if (!block) return {name, file, state: 'missing'}
    return {
      name,
      file,
      state: block.current && withBlock(readText(file), name, huskyBody(name), 'top') === readText(file) ? 'current' : 'outdated',
      version: block.version,
    }
  })
}

function lefthookRegistrations(root: string, config: string): Array<Registration & {config: string}> {
  // a shared registration (lefthook.yml) counts as well as a local one
  const targets = [lefthookTarget(root, config, false), ...(/\.ya?ml$/.test(config) ? [lefthookTarget(root, config, true)] : [])]
  for (const target of targets) {
    const blocks = findBlocks(readText(target.config) ?? '')
    if (blocks.length === 0) continue
    const current = blocks.every((block) => block.current)
    return HOOK_NAMES.map((name) => {
      const file = path.join(target.sourceDir, name, SCRIPT_NAME)
      const text = readText(file)
      if (text === undefined) return {name, file, state: 'missing', config: target.config}
      const version = hookVersion(text)
      return {
        name,
        file,
        state: text === lefthookScript(name) && current ? 'current' : 'outdated',
        config: target.config,
        ...(version ? {version} : {}),
      }
    })
  }
  return HOOK_NAMES.map((name) => ({
    name,
    file: path.join(targets[0]?.sourceDir ?? root, name, SCRIPT_NAME),
    state: 'missing',
    config: targets[0]?.config ?? config,
  }))
}

/** lefthook's own hook for `name` in `dir`: lefthook runs dbuild's script only from there. */
function lefthookHookInstalled(dir: string, name: HookName): boolean {
  return /lefthook/.test(readText(path.join(dir, name)) ?? '')
}

/** Leftovers of an install into the hooks directory, from before the manager took it over. */
function leftovers(dir: string, name: HookName): boolean {
  const report = inspectHook(dir, name)
  return report.state === 'installed' || report.state === 'displaced' || report.chained
}

export function managedStatus(location: HooksLocation): HookReport[] {
  const manager = location.manager
  const registrations =
    manager.kind === 'husky'
      ? huskyRegistrations(manager.dir)
      : manager.kind === 'lefthook'
        ? lefthookRegistrations(location.root, manager.config)
        : []
  const tool = manager.kind
  return registrations.map((registration): HookReport => {
    const {name, file} = registration
    const base = {name, path: file, via: manager, chained: false}
    const left = leftovers(location.dir, name)
    if (registration.state === 'missing') {
      // dbuild's hook file was there before the manager took the directory over
      return left ? {...base, state: 'displaced', displacedBy: tool} : {...base, state: 'missing'}
    }
    const report: HookReport = {
      ...base,
      state: 'installed',
      outdated: registration.state === 'outdated',
      ...(registration.version ? {version: registration.version} : {}),
    }
    const notes = []
    if (manager.kind === 'lefthook' && !lefthookHookInstalled(location.dir, name))
      notes.push(`lefthook has not installed its ${name} hook yet: run lefthook install`)
    if (left) notes.push(`an earlier dbuild hook is left in ${location.dir}: dbuild hook install removes it`)
    if (notes.length > 0) report.note = notes.join('; ')
    return report
  })
}

/**
 * Takes out what an install into the hooks directory left there once a manager owns it: dbuild's own
 * hook file (moved to `.old` by lefthook, or still in place), and the chained copy, which goes back where
 * the manager expects a foreign hook (in place when free, else `.old` for lefthook) or is dropped when
 * it is identical to the manager's hook now in place (husky's stub).
 */
function clearLeftovers(location: HooksLocation, name: HookName): boolean {
  const dir = location.dir
  if (!leftovers(dir, name)) return false
  const file = path.join(dir, name)
  uninstallHookFile(dir, name)
  const chained = file + CHAINED_SUFFIX
  if (present(chained)) {
    const text = readText(chained)
    if (text === readText(file) || toolOf(text) === location.manager.kind) removeFile(chained)
    else if (location.manager.kind === 'lefthook' && !present(file + '.old')) moveFile(chained, file + '.old') // where lefthook keeps a foreign hook
  }
  return true
}

function lefthookBinary(root: string): string | undefined {
  const local = path.join(root, 'node_modules', '.bin', 'lefthook')
  if (present(local)) return local
  const found = spawnSync('lefthook', ['version'], {cwd: root, stdio: 'ignore'})
  return found.status === 0 ? 'lefthook' : undefined
}

export function installManaged(location: HooksLocation, options: {shared?: boolean}): HookChange[] {
  const manager = location.manager
  const before = managedStatus(location)
  const repaired = HOOK_NAMES.map((name) => clearLeftovers(location, name))
  if (manager.kind === 'husky') {
    for (const name of HOOK_NAMES) editText(path.join(manager.dir, name), (text) => withBlock(text, name, huskyBody(name), 'top'), 0o644)
  } else if (manager.kind === 'lefthook') {
    const existing = lefthookRegistrations(location.root, manager.config).find((r) => r.state !== 'missing')
    const target = existing
      ? {config: existing.config, sourceDir: path.dirname(path.dirname(existing.file))}
      : lefthookTarget(location.root, manager.config, options.shared === true)
    const text = readText(target.config)
    // a hook file of any kind already there stays out of the record: lefthook moves a foreign one to .old
    const added =
      text !== undefined && findBlock(text) ? addedFor(text) : HOOK_NAMES.filter((name) => !present(path.join(location.dir, name)))
    const next = lefthookEdit(target.config, text, added)
    for (const name of HOOK_NAMES) {
      const file = path.join(target.sourceDir, name, SCRIPT_NAME)
      if (readText(file) !== lefthookScript(name)) writeText(file, lefthookScript(name), 0o755)
    }
    editText(target.config, () => next)
    if (HOOK_NAMES.some((name) => !lefthookHookInstalled(location.dir, name))) {
      const binary = lefthookBinary(location.root)
      if (binary) spawnSync(binary, ['install'], {cwd: location.root, stdio: 'ignore'})
    }
  }
  return managedStatus(location).map((report, i): HookChange => {
    const was = before[i]
    let action: HookAction = 'unchanged'
    if (was?.state === 'displaced' || repaired[i]) action = 'repaired'
    else if (was?.state === 'missing') action = 'installed'
    else if (was?.outdated) action = 'updated'
    return {...report, action}
  })
}

export function uninstallManaged(location: HooksLocation): HookChange[] {
  const manager = location.manager
  const before = managedStatus(location)
  const cleared = HOOK_NAMES.map((name) => clearLeftovers(location, name))
  if (manager.kind === 'husky') {
    for (const name of HOOK_NAMES) editText(path.join(manager.dir, name), (text) => (text === undefined ? text : withoutBlock(text)))
  } else if (manager.kind === 'lefthook') {
    for (const registration of lefthookRegistrations(location.root, manager.config)) {
      if (isDbuildScript(readText(registration.file))) {
        removeFile(registration.file)
        removeEmptyDirs(path.dirname(registration.file), location.root)
      }
      for (const name of addedFor(readText(registration.config))) {
        const hook = path.join(location.dir, name)
        if (lefthookHookInstalled(location.dir, name) && !present(hook + '.old')) removeFile(hook)
      }
      editText(registration.config, (text) => (text === undefined ? text : withoutBlock(text)))
    }
  }
  return managedStatus(location).map((report, i): HookChange => ({
    ...report,
    action: before[i]?.state === 'installed' || cleared[i] ? 'removed' : 'unchanged',
  }))
}

function isDbuildScript(text: string | undefined): boolean {
  return text !== undefined && hookVersion(text) !== undefined
}
