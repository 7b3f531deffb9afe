import {realpathSync, statSync} from 'node:fs'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {compareCodeUnits} from '../compare.js'
import {type DbuildConfig, untrustedReason} from '../config.js'
import {DbuildError, ExitCode} from '../exit-codes.js'
import {workTreeTop} from '../git.js'

import type {FactRequest, Finding, Rule, RuleContext} from './types.js'

function isRule(value: unknown): value is Rule {
  const rule = value as Partial<Rule> | undefined
  return typeof rule === 'object' && rule !== null && typeof rule.id === 'string' && typeof rule.check === 'function'
}

/** The rules a plugin module exports: `rules` (array), a default export (rule or array), or `rule`. */
function rulesOf(module: Record<string, unknown>): Rule[] {
  const candidates = [module.rules, module.default, module.rule].flatMap((value) =>
    Array.isArray(value) ? value : value === undefined ? [] : [value],
  )
  return candidates.filter(isRule)
}

/** A rule whose findings are reported (as warnings) but never fixed: config `"warn"`. */
function warnOnly(rule: Rule): Rule {
  return {
    ...rule,
    defaultSeverity: 'warning',
    check: (ctx) =>
      rule.check({...ctx, severity: 'warning'}).map(({fix: _fix, buildArgFix: _buildArgFix, ...finding}) => ({
        ...finding,
        severity: finding.severity === 'error' ? 'warning' : finding.severity,
      })),
  }
}

const shapeOf = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value)

/**
 * A repository plugin's rule, held to the Rule contract: a check() or needs() that throws, or returns
 * anything but a list of findings or requests, is the plugin's failure, named with its file, never
 * reported as a dbuild bug.
 */
function fromPlugin(rule: Rule, file: string): Rule {
  const fail = (what: string): never => {
    throw new DbuildError(`${file}: plugin rule "${rule.id}" ${what}`, ExitCode.CONFIG, [
      `Fix the plugin, or turn the rule off in .dbuild.json: "rules": {"${rule.id}": "off"}`,
    ])
  }
  const call = <T>(name: 'check' | 'needs', run: () => unknown, valid: (item: unknown) => boolean): T[] => {
    let result: unknown
    try {
      result = run()
    } catch (error) {
      return fail(`threw in ${name}(): ${error instanceof Error ? error.message : String(error)}`)
    }
    if (!Array.isArray(result)) return fail(`${name}() returned ${shapeOf(result)}, not a list`)
    const bad = result.findIndex((item) => !valid(item))
    if (bad !== -1)
      fail(`${name}() returned an item ${bad} that is not a ${name === 'check' ? 'finding ({line, message, …})' : 'fact request'}`)
    return result as T[]
  }
  const isFinding = (item: unknown) => {
    const finding = item as Partial<Finding> | null
    return typeof finding === 'object' && finding !== null && Number.isInteger(finding.line) && typeof finding.message === 'string'
  }
  const isRequest = (item: unknown) => typeof item === 'object' && item !== null
  const needs = rule.needs
  return {
    ...rule,
    check: (ctx: RuleContext) => call<Finding>('check', () => rule.check.call(rule, ctx), isFinding),
    ...(needs ? {needs: (ctx: RuleContext) => call<FactRequest>('needs', () => needs.call(rule, ctx), isRequest)} : {}),
  }
}

/** How a command was told about plugins: `--plugins` / `--no-plugins`, else DBUILD_PLUGINS. */
export interface PluginOptions {
  /** The command-line flag; undefined when neither --plugins nor --no-plugins was given. */
  allow?: boolean
  env?: NodeJS.ProcessEnv
  /** Where the "plugins were not loaded" warning goes. */
  warn?: (message: string) => void
}

/**
 * Whether a repository's plugins may run: true only when the user asked, with `--plugins` or
 * DBUILD_PLUGINS=1; false when told no (`--no-plugins`, DBUILD_PLUGINS=0); undefined when nobody
 * said, which also means no. A plugin is code running with the user's rights, while `docker buildx
 * build` of the same checkout runs nothing on the host; a drop-in must not widen that (as pnpm 10
 * no longer runs dependencies' install scripts and VS Code restricts untrusted workspaces).
 */
export function pluginSetting(options: PluginOptions): boolean | undefined {
  if (options.allow !== undefined) return options.allow
  const value = (options.env ?? process.env).DBUILD_PLUGINS?.trim().toLowerCase() ?? ''
  if (['1', 'true', 'yes'].includes(value)) return true
  if (['0', 'false', 'no'].includes(value)) return false
  return undefined
}

/** The plugin file for `specifier`, refused unless it is a regular file inside the repository that holds the config. */
async function pluginFile(specifier: string, configPath: string): Promise<string> {
  const fail = (why: string): never => {
    throw new DbuildError(`${configPath}: plugin ${JSON.stringify(specifier)} ${why}`, ExitCode.CONFIG, [
      'List plugins as paths relative to .dbuild.json, such as ./tools/dbuild-rules/my-rule.js.',
    ])
  }
  if (!/^\.\.?\//.test(specifier))
    fail('is not a relative path starting with ./ or ../ (URLs, absolute paths and package names are refused)')
  const base = path.dirname(configPath)
  const repository = realpathSync(path.resolve((await workTreeTop(base)) ?? base))
  let real: string
  try {
    real = realpathSync(path.resolve(base, specifier))
  } catch (error) {
    return fail(`cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }
  // symlinks resolved first: a link inside the repository to a file outside it is outside
  if (!real.startsWith(repository + path.sep)) fail(`resolves to ${real}, outside the repository ${repository}`)
  if (!statSync(real).isFile()) fail(`is not a file (${real})`)
  const reason = untrustedReason(real)
  if (reason) fail(`is not safe to run: ${reason}`)
  return real
}

/**
 * The rule set for a project: the built-in rules plus, when the user allowed plugins (see
 * pluginSetting), the repository files named in `config.plugins`, with `config.rules` applied
 * (fix: as is, warn: no fixes, off: removed). Sorted by id.
 */
export async function resolveRules(
  builtin: Rule[],
  config: DbuildConfig,
  configPath?: string,
  plugins: PluginOptions = {},
): Promise<Rule[]> {
  const where = configPath ?? '.dbuild.json'
  const rules = new Map(builtin.map((rule) => [rule.id, rule]))
  const specifiers = configPath ? (config.plugins ?? []) : []
  const setting = pluginSetting(plugins)
  const allowed = setting === true
  if (specifiers.length > 0 && setting === undefined) {
    plugins.warn?.(
      `${where}: plugins not loaded (${specifiers.join(', ')}): a repository's plugins run as code on this ` +
        `machine, so dbuild runs them only when asked. If you trust this repository, pass --plugins or set ` +
        `DBUILD_PLUGINS=1.`,
    )
  }
  for (const specifier of allowed && configPath ? specifiers : []) {
    const file = await pluginFile(specifier, configPath as string)
    let module: Record<string, unknown>
    try {
      module = (await import(pathToFileURL(file).href)) as Record<string, unknown>
    } catch (error) {
      throw new DbuildError(`${where}: cannot load plugin ${specifier}: ${(error as Error).message}`, ExitCode.CONFIG)
    }
    const found = rulesOf(module)
    if (found.length === 0)
      throw new DbuildError(`${where}: plugin ${specifier} exports no rule (export "rules", a default rule, or "rule")`, ExitCode.CONFIG)
    for (const rule of found) rules.set(rule.id, fromPlugin(rule, file))
  }
  for (const [id, setting] of Object.entries(config.rules ?? {})) {
    const rule = rules.get(id)
    if (!rule) {
      // a rule of a plugin that was not loaded: nothing to configure
      if (specifiers.length > 0 && !allowed) continue
      throw new DbuildError(
        `${where}: "rules" names an unknown rule "${id}" (known: ${[...rules.keys()].sort().join(', ')})`,
        ExitCode.CONFIG,
      )
    }
    if (setting === 'off') rules.delete(id)
    else if (setting === 'warn') rules.set(id, warnOnly(rule))
  }
  return [...rules.values()].sort((a, b) => compareCodeUnits(a.id, b.id))
}
