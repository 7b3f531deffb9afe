/** The rewrite as `dbuild build` runs it against one test daemon: built-in rules, real probes. */
import {builtinRules} from '../../plugins/index.js'
import {type RewriteResult, rewriteDockerfile} from '../../src/rewrite/index.js'
import type {Daemon} from '../engine/index.js'

export function rewriteOn(daemon: Daemon, dockerfile: string, contextDir: string, cacheDir: string): Promise<RewriteResult> {
  return rewriteDockerfile(builtinRules, {
    text: dockerfile,
    file: 'Dockerfile',
    config: {},
    docker: {contextDir, env: daemon.env, network: 'host'},
    cacheDir,
  })
}
