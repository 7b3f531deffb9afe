/**
 * A mirror on the real engine: a Docker Hub name no daemon here has, whose image exists only under
 * its mirror name in the test registry (there is no network), so a build or probe succeeds only
 * when it pulls from the mirror.
 */
import path from 'node:path'

import {execa} from 'execa'
import type {Test} from 'tap'

import {type Daemon, type Engine, ROOT} from '../engine/index.js'
import {dockerOn, uniqueName} from './index.js'

const BIN = path.join(ROOT, 'bin', 'run.js')

export interface HubMirror {
  /** A Docker Hub name (library/<name>) that cannot be pulled here. */
  hubName: string
  /** The mirror of all of docker.io in the test registry. */
  hub: string
  /** .dbuild.json "mirrors" for it. */
  mirrors: Record<string, string>
  /** Where image-mirror sends `<name>:1`. */
  mirrored(name: string): string
}

export function hubMirror(engine: Engine): HubMirror {
  const hub = `${engine.registry}/${uniqueName('hub')}`
  return {hubName: uniqueName('dbuild-unpullable'), hub, mirrors: {'docker.io': hub}, mirrored: (name) => `${hub}/library/${name}:1`}
}

/** Pushes the test base image (user app = 1000:1000), or one built on it by `run`, as `ref`; removed from the graphdriver store at teardown. */
export async function pushBase(t: Test, engine: Engine, ref: string, run?: string): Promise<void> {
  const made = await dockerOn(engine.graphdriver, ['buildx', 'build', '--network=host', '--progress=plain', '-t', ref, '--push', '-'], {
    input: `FROM ${engine.baseImage}\n${run ? `RUN ${run}\n` : 'LABEL dbuild.test=mirror\n'}`,
  })
  t.equal(made.exitCode, 0, `pushed ${ref}`, {output: made.output})
  t.teardown(() => dockerOn(engine.graphdriver, ['image', 'rm', '-f', ref]).then(() => undefined))
}

/** bin/run.js with `args` in `cwd` against `daemon`, its probe cache in `cacheDir`, outside CI. */
export async function runDbuild(
  daemon: Daemon,
  args: string[],
  cwd: string,
  cacheDir: string,
): Promise<{exitCode: number; output: string}> {
  const env: NodeJS.ProcessEnv = {...daemon.env, DBUILD_CACHE_DIR: cacheDir, NO_COLOR: '1'}
  delete env.CI
  const result = await execa(process.execPath, [BIN, ...args], {cwd, env, extendEnv: false, reject: false, all: true})
  return {exitCode: result.exitCode ?? 1, output: result.all ?? ''}
}
