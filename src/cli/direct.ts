/**
 * Commands that run without oclif: importing @oclif/core and letting it find, load and parse a
 * command costs about 150 ms, more than Node's whole start, and `dbuild stage` and `dbuild lint
 * FILE` are run from scripts and editors many times over (see the README's Speed section).
 *
 * The command table (src/cli/command-table.ts) is the one owner of every flag: oclif's commands are
 * made from it, and here node:util's parseArgs reads argv against the same entry. parseDirect takes
 * only the argv it parses exactly as oclif would (test/cli/direct.test.ts holds the two parsers to
 * one table); anything else (a mistake, `--`, grouped short flags, a value that looks like a flag)
 * goes to oclif, which parses it again and reports it in its own words.
 */
import {parseArgs} from 'node:util'

import {commandIo, type ParsedArgv} from '../actions/command-io.js'
import {directFacts} from './cli-facts.js'
import {COMMANDS} from './command-table.js'

/** One flag as oclif declares it, reduced to what parsing needs. */
export interface FlagSpec {
  type: 'boolean' | 'option'
  char?: string
  multiple?: boolean
  options?: string[]
  default?: unknown
  allowNo?: boolean
  dependsOn?: string[]
  exclusive?: string[]
}

/** One command's argv, as its table entry declares it, reduced to what parsing needs. */
export interface ArgvSpec {
  strict: boolean
  /** oclif's enableJsonFlag: `--json` prints the result, or the error, as JSON. */
  json: boolean
  args: Array<{name: string; default?: string}>
  flags: Record<string, FlagSpec>
  /** Something the table cannot express (a dynamic default, a required flag): always oclif. */
  oclifOnly?: string
}

/** A command's declaration: a table entry, or anything shaped like one (what oclif would refuse or read its own way is refused here too). */
interface DeclaredFlag {
  type: string
  char?: string
  multiple?: boolean
  options?: readonly string[]
  default?: unknown
  allowNo?: boolean
  dependsOn?: readonly string[]
  exclusive?: readonly string[]
  required?: boolean
  env?: string
  relationships?: unknown
  exactlyOne?: readonly string[]
  parse?: unknown
}
interface DeclaredCommand {
  strict?: boolean
  json?: boolean
  args?: Readonly<Record<string, {default?: unknown; required?: boolean; options?: readonly string[]}>>
  flags?: Readonly<Record<string, DeclaredFlag>>
}

/** The parse table for a command's table entry. */
export function argvSpecOf(command: DeclaredCommand): ArgvSpec {
  const spec: ArgvSpec = {strict: command.strict !== false, json: command.json === true, args: [], flags: {}}
  const refuse = (why: string): ArgvSpec => ({...spec, oclifOnly: why})
  for (const [name, arg] of Object.entries(command.args ?? {})) {
    if (arg.required || arg.options || (arg.default !== undefined && typeof arg.default !== 'string')) return refuse(`argument ${name}`)
    spec.args.push({name, ...(arg.default === undefined ? {} : {default: arg.default})})
  }
  const flags: Record<string, DeclaredFlag> = {...(command.json ? {json: {type: 'boolean'}} : {}), ...command.flags}
  for (const [name, flag] of Object.entries(flags)) {
    if (flag.type !== 'boolean' && flag.type !== 'option') return refuse(`flag ${name}: type ${flag.type}`)
    if (flag.required || flag.env || flag.relationships || flag.exactlyOne) return refuse(`flag ${name}`)
    const fixedDefault = flag.default === undefined || ['string', 'boolean'].includes(typeof flag.default)
    if (!fixedDefault) return refuse(`flag ${name}: computed default`)
    spec.flags[name] = {
      type: flag.type,
      ...(flag.char ? {char: flag.char} : {}),
      ...(flag.multiple ? {multiple: true} : {}),
      ...(flag.options ? {options: [...flag.options]} : {}),
      ...(flag.default === undefined ? {} : {default: flag.default}),
      ...(flag.allowNo ? {allowNo: true} : {}),
      ...(flag.dependsOn ? {dependsOn: [...flag.dependsOn]} : {}),
      ...(flag.exclusive ? {exclusive: [...flag.exclusive]} : {}),
    }
  }
  return spec
}

/**
 * argv parsed as oclif would parse it, or undefined when oclif should parse it: an unknown flag, a
 * missing value, a value outside a flag's options, a flag given twice that takes one value, a
 * missing dependsOn or a clash with exclusive, too many arguments, `--`, `-abc` or `-fVALUE`.
 */
export function parseDirect(spec: ArgvSpec, argv: readonly string[]): ParsedArgv | undefined {
  if (spec.oclifOnly !== undefined) return undefined
  const options: Record<string, {type: 'boolean' | 'string'; multiple?: boolean; short?: string}> = {}
  for (const [name, flag] of Object.entries(spec.flags)) {
    options[name] = {
      type: flag.type === 'boolean' ? 'boolean' : 'string',
      ...(flag.multiple ? {multiple: true} : {}),
      ...(flag.char ? {short: flag.char} : {}),
    }
    if (flag.type === 'boolean' && flag.allowNo) options[`no-${name}`] = {type: 'boolean'}
  }
  let tokens
  let positionals: string[]
  try {
    ;({tokens, positionals} = parseArgs({args: [...argv], options, strict: true, allowPositionals: true, tokens: true}))
  } catch {
    return undefined
  }
  const flags: Record<string, unknown> = {}
  const indexes = new Set<number>()
  for (const token of tokens) {
    if (token.kind === 'option-terminator') return undefined
    if (token.kind !== 'option') continue
    // `-ab` is two tokens at one index, and oclif reads `-fVALUE` and `-f=VALUE` its own way
    if (indexes.has(token.index) || (token.rawName.length === 2 && token.inlineValue)) return undefined
    indexes.add(token.index)
    const negated = !(token.name in spec.flags)
    const name = negated ? token.name.slice('no-'.length) : token.name
    const flag = spec.flags[name] as FlagSpec
    if (flag.type === 'boolean') {
      if (name in flags) return undefined
      flags[name] = !negated
      continue
    }
    const value = token.value as string
    if (value === '' || (flag.options && !flag.options.includes(value))) return undefined
    if (flag.multiple) flags[name] = [...((flags[name] as string[] | undefined) ?? []), value]
    else if (name in flags) return undefined
    else flags[name] = value
  }
  for (const name of Object.keys(flags)) {
    const flag = spec.flags[name] as FlagSpec
    if (flag.dependsOn?.some((other) => !(other in flags))) return undefined
    if (flag.exclusive?.some((other) => other in flags)) return undefined
  }
  for (const [name, flag] of Object.entries(spec.flags)) if (!(name in flags) && flag.default !== undefined) flags[name] = flag.default
  if (spec.strict && positionals.length > spec.args.length) return undefined
  const args = Object.fromEntries(spec.args.map((arg, index) => [arg.name, positionals[index] ?? arg.default]))
  // oclif's argv holds an argument's default too, as if it had been typed
  const defaults = spec.args.slice(positionals.length).flatMap((arg) => (arg.default === undefined ? [] : [arg.default]))
  return {args, argv: [...positionals, ...defaults], flags}
}

/** oclif's CONTENT_TYPE=json turns --json on; oclif's jsonEnabled reads it, so leave such runs to oclif. */
const JSON_BY_ENVIRONMENT = 'DBUILD_CONTENT_TYPE'

/**
 * Runs `dbuild ID ARGV` without oclif when the table marks the command direct: always for a body
 * that reads its argv as given (build), else when the argv parses here; returns false, having done
 * nothing, to leave it to oclif.
 */
export async function runDirect(id: string, argv: readonly string[], binUrl: string): Promise<boolean> {
  const entry = COMMANDS[id]
  if (entry?.direct && entry.raw) {
    // the argv is buildx's to read, as given (src/main.ts has answered --help); the body returns the exit code
    const [body, {reportError}] = await Promise.all([entry.body(), import('../exit-codes.js')])
    try {
      const code = await body({args: {}, argv: [...argv], flags: {} as never}, commandIo(false, directFacts(binUrl)))
      if (code !== undefined) process.exitCode = code as number
    } catch (error) {
      process.exitCode = reportError(error)
    }
    return true
  }
  if (!entry?.direct || process.env[JSON_BY_ENVIRONMENT] !== undefined || argv.includes('--help')) return false
  const spec = argvSpecOf(entry)
  const parsed = parseDirect(spec, argv)
  if (!parsed) return false
  const json = spec.json && parsed.flags.json === true
  const {DbuildError, ExitCode, reportError} = await import('../exit-codes.js')
  try {
    // the flags were parsed from the entry whose body this is
    const body = await entry.body()
    const result = await body(parsed as ParsedArgv<never>, commandIo(json, directFacts(binUrl)))
    if (json && result !== undefined) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
  } catch (error) {
    if (!json) {
      process.exitCode = reportError(error)
      return true
    }
    // oclif's shape (Command.toErrorJson after BaseCommand.catch), so --json readers see one form
    const exit = error instanceof DbuildError ? error.exit : ExitCode.INTERNAL
    process.exitCode = exit
    const err = error as Error
    const shown = error instanceof DbuildError ? Object.assign(error, {exitCode: exit, oclif: {exit}}) : err
    process.stdout.write(`${JSON.stringify({error: {...shown, message: err.message, name: err.name}}, null, 2)}\n`)
  }
  return true
}
