/** The CLI as a user meets it: help, version, routing of the bare form, honest stubs. */
import path from 'node:path'

import {execa} from 'execa'
import t from 'tap'

import {COMMAND_IDS, routeArgv} from '../../src/main.js'
import {ExitCode} from '../../src/exit-codes.js'
import {ROOT} from '../engine/index.js'

const BIN = path.join(ROOT, 'bin', 'run.js')
const dbuild = (args: string[]) => execa(process.execPath, [BIN, ...args], {reject: false, env: {...process.env, NO_COLOR: '1'}})

t.test('routeArgv: the bare form runs build', async (t) => {
  const cases: Array<[string[], string[]]> = [
    [['.'], ['build', '.']],
    [['-t', 'app', '.'], ['build', '-t', 'app', '.']],
    [['--push', '--tag=x', 'ctx'], ['build', '--push', '--tag=x', 'ctx']],
    [['build', '.'], ['build', '.']],
    [['stage', '.'], ['stage', '.']],
    [['hook', 'install'], ['hook', 'install']],
    [['--help'], ['--help']],
    [['--version'], ['--version']],
    [[], []],
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
  for (const id of [...COMMAND_IDS.filter((c) => c !== 'hook' && c !== 'docker'), 'hook install', 'hook uninstall', 'hook status', 'docker install', 'docker uninstall', 'docker status']) {
    const result = await dbuild([...id.split(' '), '--help'])
    t.equal(result.exitCode, 0, `${id} --help exits 0`)
    t.match(result.stdout, /EXAMPLES/, `${id} --help has examples`)
  }
})

t.test('the exit-code table has no duplicate values', async (t) => {
  const values = Object.values(ExitCode)
  t.equal(new Set(values).size, values.length)
})
