import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {compareCodeUnits} from '../compare.js'
import type {DbuildConfig} from '../config.js'
import {DbuildError, ExitCode} from '../exit-codes.js'

import type {Rule} from './types.js'

function isRule(value: unknown): value is Rule {
  const rule = value as Partial<Rule> | undefined
  return typeof rule === 'object' && rule !== null && typeof rule.id === 'string' && typeof rule.check === 'function'
}

/** The rules a plugin module exports: `rules` (array), a default export (rule or array), or `rule`. */
function rulesOf(module: Record<string, unknown>): Rule[] {
  const candidates = [module.rules, module.default, module.rule].flatMap((value) => (Array.isArray(value) ? value : value === undefined ? [] : [value]))
  return candidates.filter(isRule)
}

/** A rule whose findings are reported (as warnings) but never fixed: config `"warn"`. */
function warnOnly(rule: Rule): Rule {
  return {
    ...rule,
    defaultSeverity: 'warning',
    check: (ctx) => rule.check({...ctx, severity: 'warning'}).map(({fix: _fix, ...finding}) => ({...finding, severity: finding.severity === 'error' ? 'warning' : finding.severity})),
  }
}

/**
 * The rule set for a project: the built-in rules plus the modules named in `config.plugins`
 * (paths relative to the config file, or package names), with `config.rules` applied
 * (fix: as is, warn: no fixes, off: removed). Sorted by id.
 */
export async function resolveRules(builtin: Rule[], config: DbuildConfig, configPath?: string): Promise<Rule[]> {
  const base = configPath ? path.dirname(configPath) : process.cwd()
  const where = configPath ?? '.dbuild.json'
  const rules = new Map(builtin.map((rule) => [rule.id, rule]))
  for (const specifier of config.plugins ?? []) {
    const target = specifier.startsWith('.') || path.isAbsolute(specifier) ? pathToFileURL(path.resolve(base, specifier)).href : specifier
    let module: Record<string, unknown>
    try {
      module = (await import(target)) as Record<string, unknown>
    } catch (error) {
      throw new DbuildError(`${where}: cannot load plugin ${specifier}: ${(error as Error).message}`, ExitCode.CONFIG)
    }
    const found = rulesOf(module)
    if (found.length === 0) throw new DbuildError(`${where}: plugin ${specifier} exports no rule (export "rules", a default rule, or "rule")`, ExitCode.CONFIG)
    for (const rule of found) rules.set(rule.id, rule)
  }
  for (const [id, setting] of Object.entries(config.rules ?? {})) {
    const rule = rules.get(id)
    if (!rule) throw new DbuildError(`${where}: "rules" names an unknown rule "${id}" (known: ${[...rules.keys()].sort().join(', ')})`, ExitCode.CONFIG)
    if (setting === 'off') rules.delete(id)
    else if (setting === 'warn') rules.set(id, warnOnly(rule))
  }
  return [...rules.values()].sort((a, b) => compareCodeUnits(a.id, b.id))
}
