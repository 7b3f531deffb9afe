/** .dbuild.json: found from the context up to the git root; bad input names file and line. */
import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import t from 'tap'

import {findConfig, parseConfig} from '../../src/config.js'
import {DbuildError, ExitCode} from '../../src/exit-codes.js'
import {tempDir} from '../helpers/index.js'

t.test('valid configs parse', async (t) => {
  const valid = [
    '{}',
    '{"cacheFrom": ["type=registry,ref=r/app:{branch}"], "cacheTo": ["type=inline"]}',
    '{"rules": {"link-chown": "fix", "image-mirror": "off"}}',
    '{"users": {"app": "1000:1000"}, "groups": {"users": 100, "staff": "50"}}',
    '{"mirrors": {"docker.io/docker/dockerfile": "mirror.example/dockerfile"}, "plugins": ["./rules/x.js"]}',
  ]
  for (const text of valid) t.doesNotThrow(() => parseConfig(text, '.dbuild.json'), text)
})

t.test('invalid configs name the file and line', async (t) => {
  const invalid: Array<[string, RegExp]> = [
    ['{\n  "cacheFrom": ["a",]\n}', /^x\/\.dbuild\.json:2: invalid JSON/],
    ['[]', /^x\/\.dbuild\.json:1: expected a JSON object/],
    ['{\n"cacheFrom": "type=inline"\n}', /^x\/\.dbuild\.json:2: "cacheFrom" must be an array of strings/],
    ['{\n\n"rules": {"link-chown": "maybe"}}', /^x\/\.dbuild\.json:3: "rules" must be/],
    ['{"users": {"app": "app"}}', /"users" must be an object of "uid:gid" strings/],
    ['{"groups": {"g": -1}}', /"groups" must be an object of numeric gids/],
    ['{\n "cachefrom": []}', /^x\/\.dbuild\.json:2: "cachefrom" must be one of the known keys/],
  ]
  for (const [text, message] of invalid) {
    try {
      parseConfig(text, 'x/.dbuild.json')
      t.fail(`accepted ${text}`)
    } catch (error) {
      t.ok(error instanceof DbuildError)
      t.equal((error as DbuildError).exit, ExitCode.CONFIG)
      t.match((error as Error).message, message)
    }
  }
})

t.test('findConfig walks up to the stop directory and no further', async (t) => {
  const root = tempDir(t)
  const repo = path.join(root, 'repo')
  mkdirSync(path.join(repo, 'a', 'b'), {recursive: true})
  writeFileSync(path.join(root, '.dbuild.json'), '{"cacheFrom": ["outside"]}')
  t.same(findConfig(path.join(repo, 'a', 'b'), repo).config, {}, 'stops at the git root')
  writeFileSync(path.join(repo, '.dbuild.json'), '{"cacheFrom": ["repo"]}')
  const found = findConfig(path.join(repo, 'a', 'b'), repo)
  t.same(found.config.cacheFrom, ['repo'])
  t.equal(found.path, path.join(repo, '.dbuild.json'))
})
