/** The CLI as a user meets it: help, version, routing of the bare form. */
import {chmodSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'
import t from 'tap'

import {COMMAND_IDS, routeArgv} from '../../src/main.js'
import {ExitCode} from '../../src/exit-codes.js'
import {ROOT} from '../engine/index.js'
import {gitRepo, tempDir, writeTree} from '../helpers/index.js'

const BIN = path.join(ROOT, 'bin', 'run.js')
const ESC = '\u001B'
const dbuild = (args: string[]) => execa(process.execPath, [BIN, ...args], {reject: false, env: {...process.env, NO_COLOR: '1'}})

t.test('routeArgv: the bare form runs build', async (t) => {
  const cases: Array<[string[], string[]]> = [
    [['.'], ['build', '.']],
    [
      ['-t', 'app', '.'],
      ['build', '-t', 'app', '.'],
    ],
    [
      ['--push', '--tag=x', 'ctx'],
      ['build', '--push', '--tag=x', 'ctx'],
    ],
    [
      ['build', '.'],
      ['build', '.'],
    ],
    [
      ['stage', '.'],
      ['stage', '.'],
    ],
    [
      ['hook', 'install'],
      ['hook', 'install'],
    ],
    [['--help'], ['--help']],
    [['--version'], ['--version']],
    [[], []],
    [['help'], ['--help']],
    [['-h'], ['--help']],
    [
      ['help', 'build'],
      ['build', '--help'],
    ],
    [
      ['help', 'hook', 'install'],
      ['hook', 'install', '--help'],
    ],
    [
      ['build', '-h'],
      ['build', '--help'],
    ],
    [
      ['lint', '-h'],
      ['lint', '--help'],
    ],
    [
      ['-t', 'x', '.', '--', '-h'],
      ['build', '-t', 'x', '.', '--', '-h'],
    ],
    [
      ['--builder', 'ci', 'build', '-t', 'x', '.'],
      ['build', '--builder', 'ci', '-t', 'x', '.'],
    ],
    [
      ['--builder=ci', '-D', 'build', '.'],
      ['build', '--builder=ci', '-D', '.'],
    ],
    [
      ['--builder', 'ci', '.'],
      ['build', '--builder', 'ci', '.'],
    ],
  ]
  for (const [input, expected] of cases) t.same(routeArgv(input), expected, input.join(' ') || '(no args)')
})

t.test('--help lists every command', async (t) => {
  const result = await dbuild(['--help'])
  t.equal(result.exitCode, 0)
  for (const id of COMMAND_IDS) t.match(result.stdout, new RegExp(`\\b${id}\\b`), `lists ${id}`)
})

t.test('--version prints the package version', async (t) => {
  const result = await dbuild(['--version'])
  t.equal(result.exitCode, 0)
  t.match(result.stdout, /^dbuild\/\d+\.\d+\.\d+/)
})

t.test('every command has a summary and examples in its help', async (t) => {
  for (const id of [
    ...COMMAND_IDS.filter((c) => c !== 'hook' && c !== 'docker'),
    'hook install',
    'hook uninstall',
    'hook status',
    'docker install',
    'docker uninstall',
    'docker status',
  ]) {
    const result = await dbuild([...id.split(' '), '--help'])
    t.equal(result.exitCode, 0, `${id} --help exits 0`)
    t.match(result.stdout, /EXAMPLES/, `${id} --help has examples`)
  }
})

t.test('the exit-code table has no duplicate values', async (t) => {
  const values = Object.values(ExitCode)
  t.equal(new Set(values).size, values.length)
})

t.test('COMMAND_IDS are the commands oclif loads', async (t) => {
  const result = await dbuild(['--help'])
  const listed = [...result.stdout.matchAll(/^ {2}([a-z][a-z-]*) {2,}/gm)].map((match) => match[1] as string).sort()
  t.same(listed, [...COMMAND_IDS].sort(), 'the help lists exactly the routed commands and topics')
})

t.test('help in every usual form', async (t) => {
  const root = await dbuild(['--help'])
  for (const args of [['help'], ['-h']]) {
    const result = await dbuild(args)
    t.equal(result.exitCode, 0, `${args.join(' ')} exits 0`)
    t.equal(result.stdout, root.stdout, `${args.join(' ')} is the top-level help`)
  }
  t.match(root.stdout, /\$ dbuild \[buildx flags\] PATH \| URL \| -/, 'the top-level help names the bare form')
  const build = await dbuild(['build', '--help'])
  t.equal(build.exitCode, 0)
  t.match(build.stdout, /\$ dbuild build \[buildx flags\] PATH \| URL \| -/, 'usage with the context argument')
  t.match(build.stdout, /\$ dbuild \[buildx flags\] PATH \| URL \| -/, 'and the bare form')
  t.match(build.stdout, /--dry-run/, "dbuild's own flags")
  t.match(build.stdout, /--cache-from/, "buildx's flags")
  for (const line of build.stdout.split('\n').filter((l) => /^\S/.test(l)))
    t.match(line, /^[A-Z]/, `no unindented wrapped flag text: ${line.slice(0, 40)}`)
  for (const args of [
    ['help', 'build'],
    ['build', '-h'],
    ['-t', 'x', '--help'],
  ]) {
    const result = await dbuild(args)
    t.equal(result.exitCode, 0, `${args.join(' ')} exits 0`)
    t.equal(result.stdout, build.stdout, `${args.join(' ')} is build's help`)
  }
  const hook = await dbuild(['help', 'hook', 'install'])
  t.equal(hook.exitCode, 0)
  t.match(hook.stdout, /dbuild hook install/)
  const lint = await dbuild(['lint', '-h'])
  t.equal(lint.exitCode, 0)
  t.match(lint.stdout, /USAGE\n {2}\$ dbuild lint/)
})

t.test('a mistyped command is named as one, with the commands', async (t) => {
  const cwd = tempDir(t)
  for (const [args, guess] of [
    [['frobnicate'], undefined],
    [['buidl', '.'], 'build'],
    [['help', 'frobnicate'], undefined],
  ] as const) {
    const result = await execa(process.execPath, [BIN, ...args], {cwd, reject: false, env: {...process.env, NO_COLOR: '1'}})
    t.equal(result.exitCode, ExitCode.USAGE, args.join(' '))
    t.match(
      result.stderr,
      new RegExp(`^Error: "${args.at(-1) === '.' ? args[0] : args.at(-1)}" is not a dbuild command`),
      'says it is not a command',
    )
    for (const id of COMMAND_IDS) t.match(result.stderr, new RegExp(`\\b${id}\\b`), `lists ${id}`)
    if (guess) t.match(result.stderr, `did you mean dbuild ${guess}?`)
  }
  const dir = await dbuild(['build', path.join(cwd, 'missing')])
  t.equal(dir.exitCode, ExitCode.NO_INPUT, 'dbuild build WORD still means a context')
})

t.test('an unknown flag is named with the nearest known one', async (t) => {
  const cwd = tempDir(t)
  writeTree(cwd, {Dockerfile: 'FROM scratch\n'})
  const result = await execa(process.execPath, [BIN, '--tagg', 'x', '.'], {
    cwd,
    reject: false,
    env: {...process.env, DBUILD_CACHE_DIR: path.join(tempDir(t), 'cache')},
  })
  t.equal(result.exitCode, ExitCode.USAGE)
  t.match(result.stderr, /^Error: unknown flag: --tagg \(did you mean --tag\?\)/)
  t.notMatch(result.stderr, /requires exactly 1 argument/)
})

t.test('a flag the table lacks passes through when the installed buildx knows it', async (t) => {
  const cwd = tempDir(t)
  writeTree(cwd, {Dockerfile: 'FROM scratch\n'})
  let env: NodeJS.ProcessEnv = {...process.env, DBUILD_CACHE_DIR: path.join(tempDir(t), 'cache')}
  let flag = '--root'
  const help = await execa('docker', ['buildx', 'build', '--help'], {reject: false, env: {...env, BUILDX_EXPERIMENTAL: '1'}})
  if (!help.stdout.includes('--root')) {
    // buildx 0.24 dropped --root and the table follows buildx up to 0.36, so no real buildx here
    // has a flag the table lacks: a stand-in buildx plugin lists one, the way buildx 0.13 lists
    // --root, only with BUILDX_EXPERIMENTAL set.
    flag = '--future-flag'
    const config = tempDir(t)
    writeTree(config, {
      'cli-plugins/docker-buildx': [
        '#!/bin/sh',
        'if [ "$1" = docker-cli-plugin-metadata ]; then echo \'{"SchemaVersion":"0.1.0","Vendor":"Docker Inc.","Version":"v0.29.1"}\'; exit 0; fi',
        'shift',
        'case "$1" in',
        '  version) echo "github.com/docker/buildx v0.29.1 0000000" ;;',
        '  build) echo "Usage:  docker buildx build [OPTIONS] PATH | URL | -"; echo; echo "Options:"',
        '    echo "  -t, --tag stringArray           Image identifier"',
        '    [ -n "$BUILDX_EXPERIMENTAL" ] && echo "      --future-flag string        A flag newer than the table" ;;',
        '  *) exit 1 ;;',
        'esac',
        '',
      ].join('\n'),
    })
    chmodSync(path.join(config, 'cli-plugins', 'docker-buildx'), 0o755)
    env = {...env, DOCKER_CONFIG: config}
  }
  // the same buildx, with and without the flag listed
  const known = await execa(process.execPath, [BIN, '--dry-run', flag, '/tmp/r', '.'], {
    cwd,
    reject: false,
    env: {...env, BUILDX_EXPERIMENTAL: '1'},
  })
  t.equal(known.exitCode, 0, known.stderr)
  t.match(known.stdout, new RegExp(`docker buildx build ${flag} /tmp/r .*context$`, 'm'), 'passed through with its value, the context last')
  const unknown = await execa(process.execPath, [BIN, '--dry-run', flag, '/tmp/r', '.'], {cwd, reject: false, env})
  t.equal(unknown.exitCode, ExitCode.USAGE)
  t.match(unknown.stderr, `unknown flag: ${flag}`)
})

t.test('one error style: oclif commands and the build print the same way', async (t) => {
  const cwd = tempDir(t)
  const results = [
    await dbuild(['lint', '--bogus']),
    await dbuild(['stage', path.join(cwd, 'missing')]),
    await dbuild(['build', path.join(cwd, 'missing')]),
  ]
  for (const result of results) {
    t.match(result.stderr, /^Error: \S/, `starts with Error: (${result.stderr.split('\n')[0]})`)
    t.notMatch(result.stderr, /›/, "not oclif's boxed style")
  }
  t.equal(results[0]?.exitCode, ExitCode.USAGE)
})

t.test("an unreachable daemon keeps buildx's exit status and points at doctor", async (t) => {
  const cwd = tempDir(t)
  writeTree(cwd, {Dockerfile: 'FROM scratch\nCOPY a /a\n', a: 'a\n'})
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DOCKER_HOST: `unix://${path.join(cwd, 'no.sock')}`,
    DBUILD_CACHE_DIR: path.join(tempDir(t), 'cache'),
  }
  delete env.DOCKER_CONTEXT
  delete env.BUILDX_BUILDER
  const plain = await execa('docker', ['buildx', 'build', '.'], {cwd, reject: false, extendEnv: false, env})
  const result = await execa(process.execPath, [BIN, '.'], {cwd, reject: false, extendEnv: false, env})
  t.equal(result.exitCode, plain.exitCode, `buildx's status ${plain.exitCode} kept`)
  t.match(result.stderr, /Cannot connect to the Docker daemon/, "buildx's own message")
  t.equal(result.stderr.split('\n').filter((line) => line.includes('dbuild doctor')).length, 1, 'one line points at dbuild doctor')
})

t.test('FORCE_COLOR colours doctor in a pipe; NO_COLOR wins', async (t) => {
  const cwd = tempDir(t)
  const env: NodeJS.ProcessEnv = {...process.env, DOCKER_HOST: `unix://${path.join(cwd, 'no.sock')}`}
  delete env.NO_COLOR
  // extendEnv: false, or execa would put the test runner's NO_COLOR back
  const forced = await execa(process.execPath, [BIN, 'doctor'], {cwd, reject: false, extendEnv: false, env: {...env, FORCE_COLOR: '1'}})
  t.ok(forced.stdout.includes(`${ESC}[31mFAIL`), 'FAIL in red')
  const both = await execa(process.execPath, [BIN, 'doctor'], {
    cwd,
    reject: false,
    extendEnv: false,
    env: {...env, FORCE_COLOR: '1', NO_COLOR: '1'},
  })
  t.notOk(both.stdout.includes(ESC), 'no escape codes')
  const dockerfile = tempDir(t)
  writeTree(dockerfile, {Dockerfile: 'FROM busybox\nCOPY --link --chown=app a /a\n'})
  const lint = await execa(process.execPath, [BIN, 'lint'], {
    cwd: dockerfile,
    reject: false,
    extendEnv: false,
    env: {...env, FORCE_COLOR: '1'},
  })
  t.ok(lint.stdout.includes(`${ESC}[31merror${ESC}[0m`), `lint paints the error severity: ${lint.stdout}`)
  delete env.FORCE_COLOR
  const piped = await execa(process.execPath, [BIN, 'doctor'], {cwd, reject: false, extendEnv: false, env})
  t.notOk(piped.stdout.includes(ESC), 'no colour in a pipe by default')
})

t.test('doctor outside a git work tree does not advise setup, which refuses there', async (t) => {
  const cwd = tempDir(t)
  const doctor = await execa(process.execPath, [BIN, 'doctor', '--json'], {cwd, reject: false})
  const config = (JSON.parse(doctor.stdout) as {checks: Array<{id: string; fix?: string}>}).checks.find((check) => check.id === 'config')
  t.notMatch(config?.fix, /^Run dbuild setup/)
  const setup = await execa(process.execPath, [BIN, 'setup', '--yes'], {cwd, reject: false})
  t.equal(setup.exitCode, ExitCode.NO_INPUT, 'setup refuses outside git')
  t.match(config?.fix, /inside your checkout/, 'doctor sends the user where setup works')
})

t.test("setup's next steps are commands that work", async (t) => {
  const repo = await gitRepo(path.join(tempDir(t), 'repo'), {Dockerfile: 'FROM scratch\nCOPY a /a\n', a: 'a\n'})
  const env = {...process.env, NO_COLOR: '1', DBUILD_CACHE_DIR: path.join(tempDir(t), 'cache')}
  const setup = await execa(process.execPath, [BIN, 'setup', '--yes'], {cwd: repo, reject: false, env})
  const lint = /: dbuild (lint .*)$/m.exec(setup.stdout)?.[1]
  t.ok(lint, `setup suggests a lint command: ${setup.stdout.split('next steps:')[1] ?? setup.stdout}`)
  const result = await execa(process.execPath, [BIN, ...(lint ?? '').split(' ')], {cwd: repo, reject: false, env})
  t.equal(result.exitCode, 0, `dbuild ${lint} runs: ${result.stderr}`)
  t.notMatch(result.stderr, /ENOTDIR/)
  const build = /: dbuild (-t app .*)$/m.exec(setup.stdout)?.[1]
  const dry = await execa(process.execPath, [BIN, '--dry-run', ...(build ?? '').split(' ')], {cwd: repo, reject: false, env})
  t.equal(dry.exitCode, 0, `dbuild ${build} plans a build: ${dry.stderr}`)
})

t.test('dbuild completion bash completes commands, subcommands and flags', async (t) => {
  const script = await dbuild(['completion', 'bash'])
  t.equal(script.exitCode, 0)
  const complete = async (words: string[]) => {
    const dir = tempDir(t)
    writeFileSync(path.join(dir, 'completion.bash'), script.stdout)
    const line = words.map((word) => `'${word}'`).join(' ')
    const result = await execa(
      'bash',
      ['-c', `source ./completion.bash; COMP_WORDS=(${line}); COMP_CWORD=${words.length - 1}; _dbuild; printf '%s\\n' "\${COMPREPLY[@]}"`],
      {cwd: dir},
    )
    return result.stdout.split('\n').filter(Boolean)
  }
  t.same(await complete(['dbuild', 'hoo']), ['hook'])
  t.same(await complete(['dbuild', 'hook', '']), ['install', 'status', 'uninstall'])
  t.same(await complete(['dbuild', '--ta']), ['--tag', '--target'], 'the bare form completes buildx flags')
  t.same(await complete(['dbuild', 'build', '--dry']), ['--dry-run'])
  t.same(await complete(['dbuild', 'lint', '--for']), ['--format'])
  t.same(await complete(['dbuild', 'completion', 'z']), ['zsh'])
  for (const shell of ['zsh', 'fish']) {
    const other = await dbuild(['completion', shell])
    t.equal(other.exitCode, 0, `${shell} script`)
    t.match(other.stdout, /dbuild/)
  }
  const bad = await dbuild(['completion', 'tcsh'])
  t.equal(bad.exitCode, ExitCode.USAGE)
})

t.test("a mistyped subcommand is named with the topic's subcommands", async (t) => {
  const result = await dbuild(['hook', 'instal'])
  t.equal(result.exitCode, ExitCode.USAGE)
  t.match(result.stderr, /^Error: "hook instal" is not a dbuild command/)
  t.match(result.stderr, 'did you mean dbuild hook install?')
  t.notMatch(result.stderr, /›/)
})

t.test('an exit status an oclif command passes on is not printed as an error', async (t) => {
  const cwd = tempDir(t)
  const plain = await execa('docker', ['buildx', 'bake', '--tagg'], {cwd, reject: false})
  const result = await execa(process.execPath, [BIN, 'bake', '--tagg'], {cwd, reject: false})
  t.equal(result.exitCode, plain.exitCode, `buildx bake's status ${plain.exitCode}`)
  t.notMatch(result.stderr, /EEXIT/)
})
