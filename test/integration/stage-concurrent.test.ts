/**
 * Concurrent builds of one context on the real engine: a build re-syncing the shared stage while
 * another build is still uploading from it must never hand that build part of a file. Every image
 * is checked from the inside (sha256sum in a RUN) against the versions the test wrote; plain buildx
 * under the same steps is the control.
 *
 * The contexts are group-writable (as a checkout under umask 002 is), so dbuild stages them rather
 * than sending them as they are.
 */
import {createHash} from 'node:crypto'
import {chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {execa, type ResultPromise} from 'execa'
import t from 'tap'

import {ROOT, useEngine} from '../engine/index.js'
import {tempDir} from '../helpers/index.js'

const BIN = path.join(ROOT, 'bin', 'run.js')
const engine = useEngine(t)

/** Writes `size` bytes of version `version` through a rename, as an editor saves, and returns their sha256. */
function saveVersion(file: string, size: number, version: number): string {
  const chunk = Buffer.alloc(1 << 20, version)
  chunk.write(`${path.basename(file)} version ${version}\n`)
  const temp = `${file}.saving`
  const hash = createHash('sha256')
  writeFileSync(temp, '')
  for (let written = 0; written < size; written += chunk.length) {
    const part = chunk.subarray(0, Math.min(chunk.length, size - written))
    writeFileSync(temp, part, {flag: 'a'})
    hash.update(part)
  }
  chmodSync(temp, 0o664)
  renameSync(temp, file)
  return hash.digest('hex')
}

/** `name → sha256` from the `sums` file a build exported (sha256sum's output). */
function readSums(out: string): Map<string, string> {
  const sums = new Map<string, string>()
  for (const line of readFileSync(path.join(out, 'sums'), 'utf8').trim().split('\n')) {
    const [sum, file] = line.split(/\s+/)
    sums.set(path.basename(file ?? ''), sum ?? '')
  }
  return sums
}

if (engine) {
  const root = tempDir(t, 'dbuild-stage-concurrent-')
  const env: NodeJS.ProcessEnv = {...engine.graphdriver.env, DBUILD_CACHE_DIR: path.join(root, 'cache'), NO_COLOR: '1'}
  delete env.CI

  /** A build of `context` whose image reports the sha256 of every context file; the sums land in `out`. */
  const dockerfileFor = (files: string): string =>
    [
      `FROM ${engine.localBaseImage} AS sums`,
      'COPY . /ctx',
      `RUN cd /ctx && sha256sum ${files} > /sums`,
      'FROM scratch',
      'COPY --from=sums /sums /',
      '',
    ].join('\n')

  const start = (tool: 'dbuild' | 'buildx', context: string, out: string): ResultPromise<{all: true; reject: false}> => {
    const args = ['--network=host', '--progress=plain', '--output', `type=local,dest=${out}`, context]
    return tool === 'dbuild'
      ? execa(process.execPath, [BIN, 'build', ...args], {env, reject: false, all: true})
      : execa('docker', ['buildx', 'build', ...args], {env, extendEnv: false, reject: false, all: true})
  }

  for (const tool of ['buildx', 'dbuild'] as const) {
    t.test(`${tool}: a large file replaced while a build uploads it reaches that build whole`, async (t) => {
      const dir = path.join(root, `large-${tool}`)
      const context = path.join(dir, 'context')
      mkdirSync(context, {recursive: true})
      writeFileSync(path.join(context, 'Dockerfile'), dockerfileFor('big'))
      chmodSync(path.join(context, 'Dockerfile'), 0o664)
      const size = 300 << 20
      const first = saveVersion(path.join(context, 'big'), size, 1)
      // written ahead, outside the context, so that replacing it mid-upload is one rename
      const second = saveVersion(path.join(dir, 'big-next'), size, 2)

      const buildA = start(tool, context, path.join(dir, 'out-a'))
      let output = ''
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the upload never started:\n${output}`)), 120_000)
        buildA.all?.on('data', (chunk: Buffer) => {
          output += chunk.toString()
          if (/transferring context: /.test(output)) {
            clearTimeout(timer)
            resolve()
          }
        })
        void buildA.then((result) => reject(new Error(`build A ended before its upload was seen:\n${result.all}`)))
      })
      renameSync(path.join(dir, 'big-next'), path.join(context, 'big'))
      const b = await start(tool, context, path.join(dir, 'out-b'))
      const a = await buildA
      t.equal(a.exitCode, 0, 'build A succeeds', {output: a.all})
      t.equal(b.exitCode, 0, 'build B succeeds', {output: b.all})
      const inA = readSums(path.join(dir, 'out-a')).get('big')
      t.ok(inA === first || inA === second, `build A holds a whole version of big (got ${inA}, versions ${first} and ${second})`)
      t.equal(readSums(path.join(dir, 'out-b')).get('big'), second, 'build B holds the new version')
    })

    t.test(`${tool}: 8 parallel builds with edits between their starts each hold whole files`, async (t) => {
      const dir = path.join(root, `parallel-${tool}`)
      const context = path.join(dir, 'context')
      mkdirSync(context, {recursive: true})
      const names = ['f0', 'f1', 'f2', 'f3', 'f4', 'f5']
      writeFileSync(path.join(context, 'Dockerfile'), dockerfileFor(names.join(' ')))
      chmodSync(path.join(context, 'Dockerfile'), 0o664)
      const size = 8 << 20
      const versions = new Map(names.map((name) => [name, new Set([saveVersion(path.join(context, name), size, 0)])]))
      const builds: ReturnType<typeof start>[] = []
      for (let i = 0; i < 8; i++) {
        if (i > 0) {
          for (const name of [names[i % names.length], names[(i + 3) % names.length]] as string[]) {
            versions.get(name)?.add(saveVersion(path.join(context, name), size, i))
          }
        }
        builds.push(start(tool, context, path.join(dir, `out-${i}`)))
        await sleep(250)
      }
      const results = await Promise.all(builds)
      for (const [i, result] of results.entries()) {
        t.equal(result.exitCode, 0, `build ${i} succeeds`, {output: result.all})
        if (result.exitCode !== 0) continue
        const sums = readSums(path.join(dir, `out-${i}`))
        for (const name of names) {
          t.ok(versions.get(name)?.has(sums.get(name) ?? ''), `build ${i}: ${name} is a whole version`, {got: sums.get(name)})
        }
      }
    })
  }
}
