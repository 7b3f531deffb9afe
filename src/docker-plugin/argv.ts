/**
 * The Docker CLI hands a plugin `os.Args[1:]` as it stands after alias processing:
 * `[docker's global flags…] dbuild [subcommand and its flags…]`. With `"aliases": {"builder": "dbuild"}`
 * the CLI has already turned `docker build` and `docker image build` into `dbuild build`, and
 * `docker builder X` into `dbuild X` (docker/cli cmd/docker/builder.go, forwardBuilder).
 * This module turns that into a dbuild command line plus the environment the global flags stand for.
 */
import {existsSync} from 'node:fs'
import path from 'node:path'

import {DbuildError, ExitCode} from '../exit-codes.js'

/** The plugin's name: the executable is `docker-dbuild`, and `docker dbuild …` runs it. */
export const PLUGIN_NAME = 'dbuild'

interface GlobalFlag {
  long: string
  short?: string
  value: boolean
}

/** docker's global options (docker/cli cli/flags/options.go), which a plugin must accept before its name. */
const GLOBAL_FLAGS: readonly GlobalFlag[] = [
  {long: 'config', value: true},
  {long: 'context', short: 'c', value: true},
  {long: 'debug', short: 'D', value: false},
  {long: 'host', short: 'H', value: true},
  {long: 'log-level', short: 'l', value: true},
  {long: 'tls', value: false},
  {long: 'tlscacert', value: true},
  {long: 'tlscert', value: true},
  {long: 'tlskey', value: true},
  {long: 'tlsverify', value: false},
]

/** The files docker finds in DOCKER_CERT_PATH; the only way an explicit --tls* file reaches every docker dbuild runs. */
const CERT_FILES: Record<string, string> = {tlscacert: 'ca.pem', tlscert: 'cert.pem', tlskey: 'key.pem'}

export interface PluginCommand {
  /** What dbuild runs: a dbuild command line, or argv for `docker` itself (a buildx subcommand dbuild does not handle). */
  kind: 'dbuild' | 'docker'
  argv: string[]
  /** The environment with docker's global flags applied (DOCKER_HOST, DOCKER_CONTEXT, DOCKER_CONFIG, …). */
  env: NodeJS.ProcessEnv
}

function usage(message: string): never {
  throw new DbuildError(message, ExitCode.USAGE, ['See docker --help for the global options.'])
}

/** Splits docker's global flags off the front of argv, up to the plugin name. */
export function globalFlags(argv: readonly string[]): {values: Map<string, string[]>; rest: string[]} {
  const values = new Map<string, string[]>()
  const add = (flag: GlobalFlag, value: string) => values.set(flag.long, [...(values.get(flag.long) ?? []), value])
  let i = 0
  for (; i < argv.length; i++) {
    const token = argv[i] as string
    if (!token.startsWith('-') || token === '-') break
    if (token === '--') {
      i++
      break
    }
    const long = token.startsWith('--')
    const eq = token.indexOf('=')
    const name = long ? token.slice(2, eq === -1 ? undefined : eq) : token.slice(1, 2)
    const flag = GLOBAL_FLAGS.find((candidate) => (long ? candidate.long === name : candidate.short === name))
    if (!flag) usage(`unknown docker global flag ${token} before ${PLUGIN_NAME}`)
    let value: string | undefined
    if (long) value = eq === -1 ? undefined : token.slice(eq + 1)
    else if (token.length > 2) value = token.slice(token[2] === '=' ? 3 : 2)
    if (flag.value && value === undefined) {
      if (i + 1 >= argv.length) usage(`flag needs an argument: ${token}`)
      value = argv[++i] as string
    }
    add(flag, value ?? 'true')
  }
  return {values, rest: argv.slice(i)}
}

/** The environment docker's own child processes would see for these global flags. */
export function flagEnv(values: Map<string, string[]>, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const result: NodeJS.ProcessEnv = {...env}
  const last = (long: string) => values.get(long)?.at(-1)
  const config = last('config')
  if (config !== undefined) result.DOCKER_CONFIG = path.resolve(config)
  const hosts = values.get('host') ?? []
  if (hosts.length > 1) usage('docker accepts one --host for a plugin; dbuild cannot pass several on')
  const context = last('context')
  if (hosts.length === 1 && context !== undefined) usage('conflicting options: cannot specify both --host and --context')
  if (hosts[0] !== undefined) {
    result.DOCKER_HOST = hosts[0]
    delete result.DOCKER_CONTEXT
  }
  if (context !== undefined) {
    result.DOCKER_CONTEXT = context
    // a named context wins over DOCKER_HOST, but the default context's endpoint is DOCKER_HOST
    // itself (docker/cli getServerHost), so `docker --context default …` keeps it
    if (context !== 'default') delete result.DOCKER_HOST
  }
  if (last('tls') === 'true') result.DOCKER_TLS = '1'
  if (last('tlsverify') === 'true') result.DOCKER_TLS_VERIFY = '1'
  const certDirs = new Set<string>()
  for (const [long, file] of Object.entries(CERT_FILES)) {
    const given = last(long)
    if (given === undefined) continue
    const absolute = path.resolve(given)
    if (path.basename(absolute) !== file)
      usage(`--${long} ${given}: dbuild passes certificates on as DOCKER_CERT_PATH, which needs the file named ${file}`)
    certDirs.add(path.dirname(absolute))
  }
  if (certDirs.size > 1) usage('--tlscacert, --tlscert and --tlskey must be in one directory for dbuild (DOCKER_CERT_PATH)')
  const [certDir] = certDirs
  if (certDir !== undefined) {
    if (!existsSync(certDir)) usage(`${certDir}: no such certificate directory`)
    result.DOCKER_CERT_PATH = certDir
  }
  // --debug and --log-level change docker's own logging only: accepted, nothing to pass on
  return result
}

/** buildx subcommands dbuild does not handle: `docker builder prune` (dbuild prune) goes to `docker buildx prune`. */
const BUILDX_ONLY = new Set([
  'create',
  'dap',
  'debug',
  'dial-stdio',
  'du',
  'history',
  'imagetools',
  'inspect',
  'install',
  'ls',
  'policy',
  'prune',
  'rm',
  'stop',
  'uninstall',
  'use',
  'version',
])

/**
 * What `docker-dbuild ARGV` runs. `commands` are dbuild's own command ids; a first word among them
 * runs dbuild, a buildx-only subcommand runs `docker buildx …` unchanged, anything else (flags, a
 * context) is dbuild's bare build form.
 */
export function pluginCommand(argv: readonly string[], env: NodeJS.ProcessEnv, commands: readonly string[]): PluginCommand {
  const {values, rest} = globalFlags(argv)
  const [name, ...args] = rest
  if (name !== PLUGIN_NAME) usage(`docker-${PLUGIN_NAME} was run as "${name ?? ''}"; the docker CLI runs it as docker ${PLUGIN_NAME} …`)
  const pluginEnv = flagEnv(values, env)
  const [first] = args
  if (first !== undefined && !commands.includes(first) && BUILDX_ONLY.has(first))
    return {kind: 'docker', argv: ['buildx', ...args], env: pluginEnv}
  return {kind: 'dbuild', argv: args, env: pluginEnv}
}
