import t from 'tap'

import {rule} from '../../plugins/chmod-not-cache-fix.js'
import {ruleTester} from './rule-tester.js'

ruleTester(t, rule, {
  valid: [
    {name: 'no chmod', code: 'FROM scratch\nCOPY a /a\n'},
    {name: 'chmod from another stage', code: 'FROM scratch AS s\nFROM scratch\nCOPY --from=s --chmod=644 a /a\n'},
    {
      name: 'a heredoc has no local mode',
      origin: 'reduced from a repository-wide run (issue 11 §2): COPY --chmod=755 <<EOF writing an entrypoint',
      code: 'FROM alpine\nCOPY --chmod=755 <<EOF /usr/local/bin/entrypoint.sh\n#!/bin/sh\nexec "$@"\nEOF\n',
    },
    {
      name: 'a download has no local mode',
      origin: 'reduced from a repository-wide run (issue 11 §2): ADD --chmod=755 of tini',
      code: 'FROM alpine\nADD --chmod=755 https://github.com/krallin/tini/releases/download/v0.19.0/tini /tini\n',
    },
    {name: 'an image stage source', code: 'FROM alpine\nCOPY --from=busybox:1.36 --chmod=755 /bin/busybox /bin/\n'},
  ],
  invalid: [
    {name: 'chmod on context files', code: 'FROM scratch\nCOPY --chmod=644 a /a\n', errors: [{line: 2, message: /checksum/}]},
    {name: 'chmod on a heredoc and a context file', code: 'FROM scratch\nCOPY --chmod=644 <<EOF a /d/\nx\nEOF\n', errors: [{line: 2}]},
  ],
})
