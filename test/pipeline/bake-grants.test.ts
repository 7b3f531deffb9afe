/** overrideGrants and its CSV reader against what buildx's bake grants an override (bake/bake.go, AddOverrides). */
import t from 'tap'

import {csvFields, overrideGrants} from '../../src/pipeline/bake-grants.js'

t.test('csvFields reads a record as Go encoding/csv does', async (t) => {
  const cases: Array<[string, string[] | undefined]> = [
    ['type=local,dest=out', ['type=local', 'dest=out']],
    ['', ['']],
    ['a,,b', ['a', '', 'b']],
    ['type=local,"dest=/a,b"', ['type=local', 'dest=/a,b']],
    ['"say ""hi""",x', ['say "hi"', 'x']],
    ['"dest=/x",', ['dest=/x', '']],
    ['dest=/a"b', undefined],
    ['"unclosed', undefined],
    ['"closed"tail', undefined],
  ]
  for (const [text, fields] of cases) t.same(csvFields(text), fields, JSON.stringify(text))
})

t.test('overrideGrants: what buildx grants each --set, read from the resolved definition', async (t) => {
  const definition = {
    target: {
      app: {
        output: [{type: 'local', dest: '/out/app'}],
        'cache-to': [
          {type: 'local', dest: '/cache/to'},
          {type: 'registry', ref: 'r/app:cache'},
        ],
        'cache-from': [{type: 'local', src: '/cache/from'}, {type: 'gha'}],
        secret: [
          {id: 'npm', src: '/home/u/.npmrc'},
          {id: 'token', env: 'TOKEN'},
        ],
        ssh: [{id: 'default', paths: ['/home/u/.ssh/id_ed25519', '/agent.sock']}, {id: 'other'}],
        entitlements: ['network.host'],
      },
      'app-debug': {output: [{type: 'tar', dest: 'rel/app.tar'}]},
      api: {output: ['type=docker'], 'cache-from': ['type=local,src=/old/cache', 'user/app:cache']},
      old: {
        output: ['/legacy/dir', '-', 'type=tar,dest=-', 'type=local,"dest=/with,comma"'],
        secret: ['id=a,src=/a', 'id=b,type=env,src=B', 'id=c,source=/c'],
        ssh: ['default=/k1,/k2', 'agent'],
      },
    },
  }
  const cases: Array<[string[], string[], string]> = [
    [['app.output=type=local,dest=/out/app'], ['fs.write=/out/app'], 'an output dest is written'],
    [['app.output+=type=local,dest=/out/app'], ['fs.write=/out/app'], 'appended: every output the target has'],
    [['app.cache-to=type=local,dest=/cache/to'], ['fs.write=/cache/to'], 'a local cache-to dest; a registry one is no path'],
    [['app.cache-from=type=local,src=/cache/from'], ['fs.read=/cache/from'], 'a local cache-from src'],
    [['app.secrets=id=npm,src=/home/u/.npmrc'], ['fs.read=/home/u/.npmrc'], 'a secret file (printed as `secret`), not an env secret'],
    [['app.ssh=default=/home/u/.ssh/id_ed25519'], ['fs.read=/home/u/.ssh/id_ed25519', 'fs.read=/agent.sock'], 'ssh paths'],
    [['app.entitlements=network.host'], ['network.host'], 'network.host'],
    [['app.entitlements=security.insecure'], ['security.insecure'], 'security.insecure'],
    [['app.entitlements=device=/dev/x'], [], 'buildx grants no other entitlement for an override'],
    [['app.tags=x', 'app.args.A=1', 'app.context=/elsewhere', 'app.no-cache=true'], [], 'fields that name no path grant nothing'],
    [
      ['app-debug.output=type=tar,dest=rel/app.tar'],
      ['fs.write=rel/app.tar'],
      'a relative path stays relative: bake resolves it from the same working directory',
    ],
    [['app*.output=type=local,dest=/out/app'], ['fs.write=/out/app', 'fs.write=rel/app.tar'], 'a glob names every matching target'],
    [
      ['*.output=x'],
      ['fs.write=/out/app', 'fs.write=rel/app.tar', 'fs.write=/legacy/dir', 'fs.write=/with,comma'],
      'every target; `-` is standard output, no path',
    ],
    [['ap?.output=x'], ['fs.write=/out/app'], '? is one character'],
    [['[ab]pp.output=x'], ['fs.write=/out/app'], 'a class'],
    [['[^a]ld.output=x'], ['fs.write=/legacy/dir', 'fs.write=/with,comma'], 'a negated class'],
    [['[bad.output=x'], [], 'a malformed pattern names nothing (bake refuses it)'],
    [['nothing.output=x', 'app', 'app.output'], [], 'no such target, no value: nothing'],
    [
      ['api.output=type=docker', 'api.cache-from=type=local,src=/old/cache'],
      ['fs.read=/old/cache'],
      'strings, as older buildx prints them; a bare ref is a registry cache',
    ],
    [['old.secrets=x', 'old.ssh=x'], ['fs.read=/a', 'fs.read=/c', 'fs.read=/k1', 'fs.read=/k2'], 'secret and ssh strings'],
    [['app.output=x', 'app.output+=y', 'app.cache-to=z'], ['fs.write=/out/app', 'fs.write=/cache/to'], 'no repeats, in the order found'],
  ]
  for (const [set, grants, why] of cases) t.same(overrideGrants(set, definition), grants, `${set.join(' ')}: ${why}`)
  t.same(overrideGrants(['x.output=y'], {}), [], 'a definition with no targets')
})
