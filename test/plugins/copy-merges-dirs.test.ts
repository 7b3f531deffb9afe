import t from 'tap'

import {rule} from '../../plugins/copy-merges-dirs.js'
import {dir, file, ruleTester} from './rule-tester.js'

ruleTester(t, rule, {
  valid: [
    {name: 'one source', code: 'FROM scratch\nCOPY src/ /app/\n'},
    {name: 'with --parents', code: 'FROM scratch\nCOPY --parents src/ lib/ /app/\n'},
    {name: 'files', code: 'FROM scratch\nCOPY a b /app/\n', contextKinds: {a: 'file', b: 'file'}},
    {name: 'two heredocs are not directories', code: 'FROM scratch\nCOPY <<A <<B /app/\na\nA\nb\nB\n'},
  ],
  invalid: [
    {
      name: 'two directories by their slash',
      code: 'FROM scratch\nCOPY src/ lib/ /app/\n',
      errors: [{message: /merged/, suggestion: 'COPY src/ /app/src\nCOPY lib/ /app/lib'}],
    },
    {
      name: 'directories known from the context alone, without --probe',
      origin: 'reduced from a lint run over whole repositories: COPY package.json src lib /app/',
      code: 'FROM node:20\nCOPY package.json src lib /app/\n',
      contextKinds: {'package.json': 'file', src: 'dir', lib: 'dir'},
      errors: [{line: 2, message: /\(src, lib\)/}],
    },
    {
      name: 'directories from a stage listing',
      code: 'FROM x AS s\nFROM scratch\nCOPY --from=s /bin /opt /\n',
      listings: {s: [dir('bin'), dir('opt'), file('f')]},
      errors: [{message: /\/bin, \/opt/}],
    },
  ],
})
