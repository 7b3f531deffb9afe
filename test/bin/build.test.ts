/**
 * `npm run build` (bin/build.js) as a developer meets it: a linked `dbuild` keeps working while the
 * build runs (npm test builds first), and the build writes the oclif manifest and the help a pipe gets.
 */
import {spawn} from 'node:child_process'
import {readFileSync, readdirSync} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'
import t from 'tap'

import {COMMANDS} from '../../src/cli/command-table.js'
import {ROOT} from '../engine/index.js'
import {nodeBinary, THIS_NODE_MAJOR} from '../engine/node.js'

const BIN = path.join(ROOT, 'bin', 'run.js')

t.test('dbuild keeps answering while npm run build replaces dist/', async (t) => {
  const build = spawn('npm', ['run', 'build', '--silent'], {cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe']})
  let buildErrors = ''
  build.stderr.on('data', (chunk: Buffer) => (buildErrors += chunk.toString()))
  const finished = new Promise<number | null>((resolve) => build.on('close', resolve))
  let done = false
  void finished.then(() => (done = true))
  const failures: string[] = []
  let runs = 0
  while (!done) {
    for (const args of [['--version'], ['stage', '--help']]) {
      const result = await execa(process.execPath, [BIN, ...args], {reject: false})
      runs++
      if (result.exitCode !== 0) failures.push(`dbuild ${args.join(' ')}: exit ${result.exitCode}\n${result.stderr}`)
    }
  }
  t.equal(await finished, 0, `the build succeeds ${buildErrors}`)
  t.ok(runs >= 2, `dbuild ran ${runs} times during the build`)
  t.same(failures, [], 'every run during the build succeeded')
  t.same(
    readdirSync(ROOT).filter((name) => /^dist\./.test(name)),
    [],
    'no build directories are left beside dist/',
  )
})

t.test('the oclif manifest lists exactly the commands of the command table, as the table declares them', async (t) => {
  const manifest = JSON.parse(readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8')) as {
    version: string
    commands: Record<string, {summary?: string; flags: Record<string, unknown>; enableJsonFlag?: boolean}>
  }
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {version: string}
  t.equal(manifest.version, pkg.version)
  t.same(Object.keys(manifest.commands).sort(), Object.keys(COMMANDS).sort())
  for (const [id, entry] of Object.entries(COMMANDS)) {
    const command = manifest.commands[id]
    t.equal(command?.summary, entry.summary, `${id}: its summary`)
    t.same(
      Object.keys(command?.flags ?? {}),
      [...(entry.json ? ['json'] : []), ...Object.keys(entry.flags ?? {})],
      `${id}: its flags, in order`,
    )
  }
})

t.test('help printed from the build is byte for byte what oclif renders on a pipe, on this Node and on Node 24', async (t) => {
  const saved = JSON.parse(readFileSync(path.join(ROOT, 'dist', 'help.json'), 'utf8')) as {node: string; help: Record<string, string>}
  t.equal(saved.node, process.version)
  const keys = Object.keys(saved.help)
  t.ok(
    keys.includes('--help') && keys.includes('stage\0--help') && keys.includes('hook\0install\0--help'),
    'root, command and topic command help are there',
  )
  // the help was rendered by this Node; another one prints it too, with its own version in the root help
  const runtimes = [process.execPath, ...(THIS_NODE_MAJOR === 24 ? [] : [nodeBinary(24)])]
  for (const node of runtimes) {
    const version = (await execa(node, ['--version'])).stdout.trim()
    for (const key of keys) {
      const argv = key.split('\0')
      const name = `${argv.join(' ')} on Node ${version}`
      const fast = await execa(node, [BIN, ...argv], {reject: false})
      // FORCE_COLOR=0 renders no colour, as a pipe gets, but makes bin/run.js leave help to oclif
      const oclif = await execa(node, [BIN, ...argv], {reject: false, env: {FORCE_COLOR: '0'}})
      t.equal(oclif.exitCode, 0, `${name}: oclif exit code`)
      t.equal(fast.exitCode, 0, `${name}: exit code`)
      t.equal(fast.stdout, oclif.stdout, name)
      t.equal(fast.stderr, '', `${name}: nothing on stderr`)
    }
  }
})
