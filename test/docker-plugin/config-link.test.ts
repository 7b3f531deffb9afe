/**
 * A ~/.docker/config.json that is a symlink into a dotfiles checkout (stow, chezmoi) stays a link
 * through `dbuild docker install --alias` and `uninstall`: the alias is written through it, into
 * the file it points at, as docker itself writes, and uninstall gives that file back byte for byte.
 */
import {lstatSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'
import t from 'tap'

import {ROOT} from '../engine/index.js'
import {tempDir} from '../helpers/index.js'

const BIN = path.join(ROOT, 'bin', 'run.js')

t.test('a symlinked config.json is written through and stays a link', async (t) => {
  const root = tempDir(t)
  const dotfiles = path.join(root, 'dotfiles', 'docker')
  mkdirSync(dotfiles, {recursive: true})
  const real = path.join(dotfiles, 'config.json')
  const original = '{\n\t"auths": {\n\t\t"registry.example.com": {}\n\t}\n}'
  writeFileSync(real, original, {mode: 0o600})
  const dockerConfig = path.join(root, '.docker')
  mkdirSync(dockerConfig)
  const link = path.join(dockerConfig, 'config.json')
  symlinkSync('../dotfiles/docker/config.json', link)
  const env = {...process.env, DOCKER_CONFIG: dockerConfig, HOME: root, NO_COLOR: '1'}

  const install = await execa(process.execPath, [BIN, 'docker', 'install', '--alias'], {env, reject: false, all: true})
  t.equal(install.exitCode, 0, 'installed', {output: install.all})
  t.ok(lstatSync(link).isSymbolicLink(), 'config.json is still a link')
  t.equal(readlinkSync(link), '../dotfiles/docker/config.json', 'to the same target')
  t.match(
    JSON.parse(readFileSync(real, 'utf8')),
    {aliases: {builder: 'dbuild'}, auths: {'registry.example.com': {}}},
    'the alias is in the linked file',
  )
  t.equal(lstatSync(real).mode & 0o777, 0o600, 'which keeps its mode')

  const uninstall = await execa(process.execPath, [BIN, 'docker', 'uninstall'], {env, reject: false, all: true})
  t.equal(uninstall.exitCode, 0, 'uninstalled', {output: uninstall.all})
  t.ok(lstatSync(link).isSymbolicLink(), 'still a link after uninstall')
  t.equal(readFileSync(real, 'utf8'), original, 'the linked file is given back byte for byte')
})
