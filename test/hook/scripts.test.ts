/** The hook scripts as data: valid POSIX sh for every shell at hand, fingerprinted with a version. */
import {execa} from 'execa'
import t from 'tap'

import {HOOK_NAMES, HOOK_VERSION, hookScript, hookVersion} from '../../src/hook/index.js'

const SHELLS = ['sh', 'dash', 'bash --posix', 'busybox sh']

t.test('every hook parses in every available POSIX shell and needs no node', async (t) => {
  for (const name of HOOK_NAMES) {
    const script = hookScript(name)
    t.match(script, /^#!\/bin\/sh\n# dbuild-hook v\d+ /, `${name}: shebang and marker`)
    t.notMatch(script, /\bnode\b|\bnpx\b|\bdbuild (?!hook|normalize)/, `${name}: runs no node`)
    for (const shell of SHELLS) {
      const [command = 'sh', ...args] = shell.split(' ')
      const result = await execa(command, [...args, '-n'], {input: script, reject: false})
      if (result.failed && result.exitCode === undefined) continue // shell not installed
      t.equal(result.exitCode, 0, `${name} parses in ${shell}: ${result.stderr}`)
    }
  }
})

t.test('hookVersion tells dbuild\'s hooks from foreign ones', async (t) => {
  const table: Array<[string, number | undefined]> = [
    [hookScript('post-merge'), HOOK_VERSION],
    ['#!/bin/sh\n# dbuild-hook v7 post-merge\n', 7],
    ['#!/bin/sh\necho "# dbuild-hook v1" is not a marker line\n', undefined],
    ['#!/usr/bin/env sh\n. "$(dirname "$0")/h"\n', undefined],
    ['', undefined],
  ]
  for (const [text, version] of table) t.equal(hookVersion(text), version, JSON.stringify(text.slice(0, 40)))
})
