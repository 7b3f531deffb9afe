/**
 * Contexts that plain buildx completes and dbuild must complete too, through `dbuild build` on the
 * real engine: names that are not UTF-8, dbuild's cache inside the context, a FIFO and a socket, a
 * read-only cache. Each exported tree is compared with plain buildx's, byte for byte.
 */
import {createHash} from 'node:crypto'
import {chmodSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, writeFileSync} from 'node:fs'
import net from 'node:net'
import path from 'node:path'

import {execa} from 'execa'
import t, {type Test} from 'tap'

import {ROOT, useEngine} from '../engine/index.js'
import {dockerOn, tempDir, writeTree} from '../helpers/index.js'

const BIN = path.join(ROOT, 'bin', 'run.js')
const engine = useEngine(t)

/** Every path below `dir` with its exact name bytes (hex), type and content hash; modes differ by design (dbuild's are canonical). */
function byteListing(dir: Buffer | string, prefix = ''): string[] {
  const lines: string[] = []
  const base = Buffer.isBuffer(dir) ? dir : Buffer.from(dir)
  for (const name of readdirSync(base, {encoding: 'buffer'}).sort(Buffer.compare)) {
    const abs = Buffer.concat([base, Buffer.from('/'), name])
    const rel = prefix + name.toString('hex')
    const stats = lstatSync(abs)
    if (stats.isDirectory()) lines.push(`${rel} dir`, ...byteListing(abs, `${rel}/`))
    else if (stats.isFile()) lines.push(`${rel} file ${createHash('sha256').update(readFileSync(abs)).digest('hex').slice(0, 12)}`)
    else if (stats.isSymbolicLink()) lines.push(`${rel} link ${readlinkSync(abs, {encoding: 'buffer'}).toString('hex')}`)
    else lines.push(`${rel} ${stats.isFIFO() ? 'fifo' : 'other'}`)
  }
  return lines
}

if (engine) {
  const root = tempDir(t, 'dbuild-stage-safety-it-')
  const baseEnv: NodeJS.ProcessEnv = {...engine.graphdriver.env, DBUILD_CACHE_DIR: path.join(root, 'cache'), NO_COLOR: '1'}
  delete baseEnv.CI

  const exportWith = async (
    tool: 'buildx' | 'dbuild',
    context: string,
    out: string,
    options: {env?: NodeJS.ProcessEnv; prefix?: string[]} = {},
  ) => {
    const args = ['--network=host', '--progress=plain', '--output', `type=local,dest=${out}`, context]
    const [command, ...rest] = [
      ...(options.prefix ?? []),
      ...(tool === 'dbuild' ? [process.execPath, BIN, 'build', ...args] : ['docker', 'buildx', 'build', ...args]),
    ]
    if (tool === 'buildx' && !options.prefix) return dockerOn(engine.graphdriver, ['buildx', 'build', ...args])
    const result = await execa(command as string, rest, {env: options.env ?? baseEnv, extendEnv: false, reject: false, all: true})
    return {exitCode: result.exitCode ?? 1, output: result.all ?? ''}
  }

  /** Builds `context` with plain buildx and with dbuild and compares the exported trees. */
  const sameAsBuildx = async (t: Test, context: string, options: {env?: NodeJS.ProcessEnv; prefix?: string[]} = {}) => {
    const name = path.basename(context)
    const plain = await exportWith('buildx', context, path.join(root, `${name}-buildx`))
    t.equal(plain.exitCode, 0, 'plain buildx completes it', {output: plain.output})
    const ours = await exportWith('dbuild', context, path.join(root, `${name}-dbuild`), options)
    t.equal(ours.exitCode, 0, 'so does dbuild build', {output: ours.output})
    t.same(byteListing(path.join(root, `${name}-dbuild`)), byteListing(path.join(root, `${name}-buildx`)), 'the same tree, byte for byte')
    return ours
  }

  t.test('file names that are not UTF-8', async (t) => {
    const context = path.join(root, 'bytes')
    writeTree(context, {Dockerfile: 'FROM scratch\nCOPY . /\n', 'plain.txt': 'p'})
    chmodSync(path.join(context, 'plain.txt'), 0o664) // not canonical: dbuild stages this context
    const latin1 = Buffer.from('caf\xe9', 'latin1')
    mkdirSync(Buffer.concat([Buffer.from(`${context}/`), latin1]))
    writeFileSync(Buffer.concat([Buffer.from(`${context}/`), latin1, Buffer.from('/na\xefve.txt', 'latin1')]), 'latin-1 named\n')
    // buildx 0.13 (the floor) sends such names; buildx 0.29 (current) refuses them itself, as its file
    // sync's protobuf strings must be UTF-8. dbuild does what the engine's plain buildx does: the same
    // tree where buildx completes, buildx's own failure (its exit code, never dbuild's 70) where it refuses.
    const plain = await exportWith('buildx', context, path.join(root, 'bytes-probe'))
    if (engine.flavor === 'floor')
      t.equal(plain.exitCode, 0, `buildx ${engine.versions.buildx} sends names that are not UTF-8`, {output: plain.output})
    if (plain.exitCode === 0) {
      await sameAsBuildx(t, context)
      return
    }
    const ours = await exportWith('dbuild', context, path.join(root, 'bytes-dbuild'))
    t.equal(ours.exitCode, plain.exitCode, `buildx ${engine.versions.buildx} refuses the names, and dbuild passes its failure through`, {
      output: ours.output,
    })
  })

  t.test("dbuild's cache directory inside the context (XDG_CACHE_HOME=$PWD/.cache)", async (t) => {
    for (const ignored of [true, false]) {
      const context = path.join(root, ignored ? 'cache-ignored' : 'cache-sent')
      writeTree(context, {Dockerfile: 'FROM scratch\nCOPY . /\n', 'app/main': 'm', ...(ignored ? {'.dockerignore': '.cache\n'} : {})})
      chmodSync(path.join(context, 'app/main'), 0o664)
      const env: NodeJS.ProcessEnv = {...baseEnv, XDG_CACHE_HOME: path.join(context, '.cache')}
      delete env.DBUILD_CACHE_DIR
      if (ignored) {
        await sameAsBuildx(t, context, {env})
        continue
      }
      // not ignored: buildx sends whatever the cache holds, dbuild leaves its own cache out and says so
      const ours = await exportWith('dbuild', context, path.join(root, 'cache-sent-dbuild'), {env})
      t.equal(ours.exitCode, 0, 'dbuild build completes it', {output: ours.output})
      t.match(ours.output, /\.cache\/dbuild: dbuild's cache directory lies inside the context/)
      t.same(readdirSync(path.join(root, 'cache-sent-dbuild')).sort(), ['.cache', 'Dockerfile', 'app'])
      t.same(readdirSync(path.join(root, 'cache-sent-dbuild', '.cache')), [], 'without the stage in it')
    }
  })

  t.test('COPY of a FIFO and a socket', async (t) => {
    const context = path.join(root, 'special')
    writeTree(context, {Dockerfile: 'FROM scratch\nCOPY fifo /f\nCOPY sock /s\n'})
    await execa('mkfifo', ['-m', '664', path.join(context, 'fifo')])
    const server = net.createServer().listen(path.join(context, 'sock'))
    await new Promise((resolve) => server.once('listening', resolve))
    t.teardown(() => server.close())
    await sameAsBuildx(t, context)
    t.ok(lstatSync(path.join(root, 'special-dbuild', 'f')).isFIFO(), 'a FIFO arrives as a FIFO')
  })

  t.test('a read-only cache does not stop a context that needs no stage', async (t) => {
    const setpriv = await execa('setpriv', ['--version'], {reject: false})
    if (process.getuid?.() === 0 && setpriv.exitCode !== 0) return t.plan(0, 'setpriv is needed to make a directory read-only for root')
    const context = path.join(root, 'read-only')
    writeTree(context, {Dockerfile: 'FROM scratch\nCOPY . /\n', a: 'a'})
    const cache = path.join(root, 'read-only-cache')
    mkdirSync(cache)
    chmodSync(cache, 0o555)
    t.teardown(() => chmodSync(cache, 0o755))
    const prefix =
      process.getuid?.() === 0
        ? ['setpriv', '--bounding-set=-dac_override,-dac_read_search', '--inh-caps=-dac_override,-dac_read_search']
        : []
    const ours = await sameAsBuildx(t, context, {env: {...baseEnv, DBUILD_CACHE_DIR: cache}, prefix})
    t.notMatch(ours.output, /dbuild bug/)
  })
}
