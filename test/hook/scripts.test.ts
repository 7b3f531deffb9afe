/** The hook scripts as data: valid POSIX sh for every shell at hand, fingerprinted by a hash of their text. */
import {readdirSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {execa} from 'execa'
import t from 'tap'

import {HOOK_NAMES, currentFingerprint, fingerprint, hookScript, hookVersion, lefthookScript, modesProgram} from '../../src/hook/index.js'

const SHELLS = ['sh', 'dash', 'bash --posix', 'busybox sh']

t.test('every hook parses in every available POSIX shell and needs no node', async (t) => {
  for (const name of HOOK_NAMES) {
    for (const [kind, script] of [
      ['hook', hookScript(name)],
      ['lefthook script', lefthookScript(name)],
      ['husky block', `(\n${modesProgram(name)}\n) || :\n`],
    ] as const) {
      if (kind !== 'husky block') t.match(script, /^#!\/bin\/sh\n# dbuild-hook [0-9a-f]{12} /, `${name} ${kind}: shebang and marker`)
      t.notMatch(script, /\bnode\b|\bnpx\b|\bdbuild (?!hook|normalize)/, `${name} ${kind}: runs no node`)
      for (const shell of SHELLS) {
        const [command = 'sh', ...args] = shell.split(' ')
        const result = await execa(command, [...args, '-n'], {input: script, reject: false})
        if (result.failed && result.exitCode === undefined) continue // shell not installed
        t.equal(result.exitCode, 0, `${name} ${kind} parses in ${shell}: ${result.stderr}`)
      }
    }
  }
})

t.test('the version is a hash of the text, so any change to the script changes it', async (t) => {
  for (const name of HOOK_NAMES) {
    const script = hookScript(name)
    const body = script.slice(script.indexOf('\n', script.indexOf('\n') + 1) + 1)
    t.equal(hookVersion(script), fingerprint(body), `${name}: the marker carries the hash of what follows it`)
    t.equal(hookVersion(script), currentFingerprint(name))
  }
  t.not(currentFingerprint('post-checkout'), currentFingerprint('post-merge'), 'each hook has its own')
})

t.test("hookVersion tells dbuild's hooks from foreign ones", async (t) => {
  const table: Array<[string, string | undefined]> = [
    [hookScript('post-merge'), currentFingerprint('post-merge')],
    ['#!/bin/sh\n# dbuild-hook v1 post-merge\n', 'v1'],
    ['#!/bin/sh\n# dbuild-hook 0123456789ab post-merge\n', '0123456789ab'],
    ['#!/bin/sh\necho "# dbuild-hook v1" is not a marker line\n', undefined],
    ['#!/usr/bin/env sh\n. "$(dirname "$0")/h"\n', undefined],
    ['', undefined],
  ]
  for (const [text, version] of table) t.equal(hookVersion(text), version, JSON.stringify(text.slice(0, 40)))
})

t.test('shellcheck finds nothing at warning level in the generated hooks or in their sh files', async (t) => {
  const probe = await execa('shellcheck', ['--version'], {reject: false})
  if (probe.failed && probe.exitCode === undefined) {
    t.pass('shellcheck is not installed')
    return
  }
  for (const name of HOOK_NAMES) {
    for (const [kind, script] of [
      ['hook', hookScript(name)],
      ['lefthook script', lefthookScript(name)],
    ] as const) {
      const result = await execa('shellcheck', ['--shell=sh', '--severity=warning', '-'], {input: script, reject: false})
      t.equal(result.exitCode, 0, `${name} ${kind}: ${result.stdout}`)
    }
  }
  // the pieces alone use variables the program around them sets (SC2154)
  const dir = fileURLToPath(new URL('../../src/hook/sh/', import.meta.url))
  const files = readdirSync(dir).filter((file) => file.endsWith('.sh'))
  const result = await execa('shellcheck', ['--shell=sh', '--severity=warning', '--exclude=SC2154', ...files], {cwd: dir, reject: false})
  t.equal(result.exitCode, 0, result.stdout)
})
