import t from 'tap'

import {rule} from '../../plugins/chmod-not-cache-fix.js'
import {ruleTester} from './rule-tester.js'

ruleTester(t, rule, {
  valid: [
    {name: 'no chmod', code: 'FROM scratch\nCOPY a /a\n'},
    {name: 'chmod from another stage', code: 'FROM scratch AS s\nFROM scratch\nCOPY --from=s --chmod=644 a /a\n'},
    {
      name: 'a heredoc has no local mode',
      origin: 'reduced from a lint run over whole repositories: COPY --chmod=755 <<EOF writing an entrypoint',
      code: 'FROM alpine\nCOPY --chmod=755 <<EOF /usr/local/bin/entrypoint.sh\n#!/bin/sh\nexec "$@"\nEOF\n',
    },
    {
      name: 'a download has no local mode',
      origin: 'reduced from a lint run over whole repositories: ADD --chmod=755 of tini',
      code: 'FROM alpine\nADD --chmod=755 https://github.com/krallin/tini/releases/download/v0.19.0/tini /tini\n',
    },
    {
      name: 'a heredoc script, the real line',
      origin: 'moby/buildkit Dockerfile:407',
      code: 'FROM alpine\nCOPY --link --chmod=755 <<EOF /docker-entrypoint.sh\n#!/bin/sh\nexec "$@"\nEOF\n',
    },
    {
      name: 'a download, the real line',
      origin: 'moby/moby Dockerfile:68',
      code: 'FROM debian\nADD --chmod=0644 https://download.opensuse.org/repositories/devel:/tools:/criu/Debian_11/Release.key /etc/apt/trusted.gpg.d/criu.gpg.asc\n',
    },
    {
      name: 'from another stage, with --chown',
      origin: 'devcontainers/images src/miniconda/.devcontainer/Dockerfile:21',
      code: 'FROM continuumio/miniconda3 AS upstream\nFROM mcr.microsoft.com/devcontainers/base:bookworm\nCOPY --chown=:conda --chmod=775 --from=upstream /opt/conda /opt/conda\n',
    },
    {name: 'an image stage source', code: 'FROM alpine\nCOPY --from=busybox:1.36 --chmod=755 /bin/busybox /bin/\n'},
  ],
  invalid: [
    {name: 'chmod on context files', code: 'FROM scratch\nCOPY --chmod=644 a /a\n', errors: [{line: 2, message: /checksum/}]},
    {name: 'chmod on a heredoc and a context file', code: 'FROM scratch\nCOPY --chmod=644 <<EOF a /d/\nx\nEOF\n', errors: [{line: 2}]},
  ],
})
