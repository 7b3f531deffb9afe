/**
 * The command table read two ways: by the oclif-free path (src/cli/direct.ts) and by oclif, through
 * the classes made from the same entries (src/cli/oclif-commands.ts). The same argv must parse to
 * the same flags and arguments, every argv the direct path does not parse must be one oclif parses
 * (or refuses) itself, and a whole command run must print the same bytes and exit with the same
 * code either way.
 */
import {mkdirSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {Flags, Parser} from '@oclif/core'
import {execa} from 'execa'
import t from 'tap'

import {COMMANDS} from '../../src/cli/command-table.js'
import {argvSpecOf, parseDirect} from '../../src/cli/direct.js'
import {COMMAND_CLASSES} from '../../src/cli/oclif-commands.js'
import {ROOT} from '../engine/index.js'
import {tempDir} from '../helpers/index.js'

const BIN = path.join(ROOT, 'bin', 'run.js')
const OCLIF = pathToFileURL(createRequire(BIN).resolve('@oclif/core')).href

type CommandClass = (typeof COMMAND_CLASSES)[string]

/** What oclif's this.parse() gives, or 'error' when it refuses the argv. */
async function oclifParse(command: CommandClass, argv: string[]): Promise<{args: unknown; argv: unknown; flags: unknown} | 'error'> {
  const flags = {...(command.enableJsonFlag ? {json: Flags.boolean({description: 'json'})} : {}), ...command.flags}
  try {
    // the three classes' flag types differ; oclif parses any of them the same way
    const parsed = await Parser.parse(argv, {
      flags,
      args: command.args,
      strict: command.strict,
      context: undefined,
    } as unknown as Parameters<typeof Parser.parse>[1])
    return {args: parsed.args, argv: parsed.argv, flags: parsed.flags}
  } catch {
    return 'error'
  }
}

/** [argv, whether the direct path should take it]: the forms users type, and the forms left to oclif. */
const CASES: Record<string, Array<[string[], boolean]>> = {
  stage: [
    [[], true],
    [['.'], true],
    [['ctx', '--json'], true],
    [['--json', 'ctx'], true],
    [['-f', 'app/Dockerfile', 'app'], true],
    [['--file=app/Dockerfile', 'app', '--out', '/tmp/x'], true],
    [['.', '--manifest', 'm.jsonl', '--build-arg', 'A=1', '--build-arg=B=2', '--platform', 'linux/amd64', '--target', 'x'], true],
    [['.', '--build-arg', 'A=1'], false], // dependsOn --manifest: oclif says so
    [['.', 'extra'], false], // too many arguments
    [['.', '--bogus'], false],
    [['.', '--file'], false], // missing value
    [['-fDockerfile', '.'], false],
    [['--', '.'], false],
    [['.', '--out', ''], false],
    [['.', '--json', '--json'], false],
    [['.', '--file', 'a', '--file', 'b'], false],
  ],
  lint: [
    [[], true],
    [['Dockerfile'], true],
    [['Dockerfile', 'docker/app.Dockerfile', 'b.Dockerfile'], true],
    [['-f', 'docker/Dockerfile', '.'], true],
    [['--format', 'sarif'], true],
    [['--format=gitlab', '-t', 'warning', 'Dockerfile'], true],
    [['--no-probe', '--plugins', 'Dockerfile'], true],
    [['--probe', '--no-plugins', '--build-arg', 'X=1', '--target', 't', '--platform', 'linux/arm64', '--network', 'host'], true],
    [['--format', 'yaml'], false], // not one of the options
    [['-t', 'fatal'], false],
    [['--probe', '--no-probe'], false],
    [['--json'], false], // lint has no --json
  ],
  rewrite: [
    [[], true],
    [['ctx', '--diff'], true],
    [['--write', '--build-arg', 'OWNER=app'], true],
    [['--json', '--no-probe'], true],
    [['--diff', '--write'], false], // exclusive
    [['a', 'b'], false],
  ],
}

t.test('the direct parser gives what oclif gives, or leaves the argv to oclif', async (t) => {
  t.same(
    Object.keys(CASES).sort(),
    Object.keys(COMMANDS)
      .filter((id) => COMMANDS[id]?.direct && !COMMANDS[id]?.raw)
      .sort(),
    'every command the table runs directly has cases here',
  )
  for (const [id, cases] of Object.entries(CASES)) {
    const command = COMMAND_CLASSES[id] as CommandClass
    const spec = argvSpecOf(COMMANDS[id] as NonNullable<(typeof COMMANDS)[string]>)
    t.equal(spec.oclifOnly, undefined, `${id}: its flags fit the table`)
    for (const [argv, direct] of cases) {
      const name = `${id} ${argv.join(' ')}`
      const ours = parseDirect(spec, argv)
      const theirs = await oclifParse(command, argv)
      t.equal(ours !== undefined, direct, `${name}: ${direct ? 'parsed here' : 'left to oclif'}`)
      if (ours !== undefined) t.same(ours, theirs, `${name}: the same flags and arguments as oclif`)
    }
  }
})

t.test('a table oclif would read differently is left to oclif', async (t) => {
  t.match(argvSpecOf({flags: {tag: {type: 'option', required: true}}}), {oclifOnly: /tag/})
  t.match(argvSpecOf({flags: {n: {type: 'option', default: () => 'x'}}}), {oclifOnly: /computed default/})
  t.match(argvSpecOf({flags: {n: {type: 'custom'}}}), {oclifOnly: /type custom/})
  t.match(argvSpecOf({args: {shell: {options: ['bash']}}}), {oclifOnly: /argument shell/})
})

/** Runs dbuild as a user does; `oclifOnly` runs the same argv through oclif's execute, as before the direct path. */
async function run(argv: string[], options: {cwd: string; oclifOnly?: boolean}) {
  // reports, at exit, whether oclif was loaded at all (it is CommonJS: require.cache knows)
  const report = `data:text/javascript,${encodeURIComponent("import {createRequire} from 'node:module'; process.on('exit', () => { if (Object.keys(createRequire('/').cache).some((f) => f.includes('@oclif')) && process.env.DBUILD_REPORT_OCLIF) process.stderr.write('[oclif loaded]') })")}`
  const env = {
    ...process.env,
    NO_COLOR: '1',
    DBUILD_CACHE_DIR: path.join(options.cwd, options.oclifOnly ? '.cache-oclif' : '.cache-direct'),
    DBUILD_REPORT_OCLIF: '1',
  }
  const script = options.oclifOnly
    ? [
        '--input-type=module',
        '-e',
        `import {execute} from ${JSON.stringify(OCLIF)}; await execute({args: process.argv.slice(1), dir: ${JSON.stringify(pathToFileURL(BIN).href)}})`,
        '--',
      ]
    : [BIN]
  const result = await execa(process.execPath, ['--import', report, ...script, ...argv], {
    cwd: options.cwd,
    env,
    reject: false,
    stripFinalNewline: false,
  })
  // each run stages into its own cache, so neither finds the other's stage: the same work, named alike
  const own = (text: string) => text.replaceAll(env.DBUILD_CACHE_DIR, 'CACHE')
  return {stdout: own(result.stdout), stderr: own(result.stderr), exitCode: result.exitCode}
}

t.test('a whole command prints the same and exits the same without oclif as with it', async (t) => {
  const dir = tempDir(t)
  const context = path.join(dir, 'app')
  mkdirSync(context)
  writeFileSync(path.join(context, 'Dockerfile'), 'FROM busybox\nCOPY --link --chown=app:app . /srv\nRUN chmod -R 755 /srv\n')
  writeFileSync(path.join(context, 'main.sh'), 'echo hi\n')
  const scenarios: Array<{argv: string[]; exit: number}> = [
    {argv: ['stage', context, '--json'], exit: 0},
    {argv: ['stage', path.join(dir, 'missing')], exit: 66},
    {argv: ['stage', path.join(dir, 'missing'), '--json'], exit: 66},
    // the --chown names cannot be resolved without --probe: an error finding, exit 1
    {argv: ['lint', path.join(context, 'Dockerfile')], exit: 1},
    {argv: ['lint', '--format', 'json', path.join(context, 'Dockerfile')], exit: 1},
    {argv: ['lint', '-t', 'none', path.join(context, 'Dockerfile')], exit: 0},
    {argv: ['rewrite', context, '--no-probe'], exit: 0},
    {argv: ['rewrite', context, '--no-probe', '--json'], exit: 0},
    {argv: ['rewrite', path.join(dir, 'missing'), '--no-probe'], exit: 66},
  ]
  for (const {argv, exit} of scenarios) {
    const direct = await run(argv, {cwd: dir})
    const oclif = await run(argv, {cwd: dir, oclifOnly: true})
    const name = argv.map((arg) => arg.replace(dir, 'DIR')).join(' ')
    t.equal(direct.exitCode, exit, `${name}: exit ${exit}`)
    t.notMatch(direct.stderr, /\[oclif loaded\]/, `${name}: oclif is not loaded`)
    t.match(oclif.stderr, /\[oclif loaded\]/, `${name}: the control run went through oclif`)
    t.same(
      {...direct, stderr: direct.stderr},
      {...oclif, stderr: oclif.stderr.replace('[oclif loaded]', '')},
      `${name}: the same stdout, stderr and exit code`,
    )
  }
})

t.test('a mistake is reported by oclif, in its words and with its exit code', async (t) => {
  const dir = tempDir(t)
  const result = await run(['stage', '.', '--build-arg', 'A=1'], {cwd: dir})
  t.equal(result.exitCode, 2)
  t.match(result.stderr, /--manifest/)
  t.match(result.stderr, /\[oclif loaded\]/)
})
