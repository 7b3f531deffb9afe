import t from 'tap'

import {rule} from '../../plugins/add-url-checksum.js'
import {ruleTester} from './rule-tester.js'

ruleTester(t, rule, {
  valid: [
    {name: 'with checksum', code: 'FROM scratch\nADD --checksum=sha256:abc https://example.com/a.tgz /a\n'},
    {name: 'local file', code: 'FROM scratch\nADD a.tgz /a\n'},
    {name: 'git url with a fragment', code: 'FROM scratch\nADD https://github.com/o/r.git#v1 /src\n'},
    {
      name: 'a URL inside a heredoc body is text, not a source',
      origin: 'reduced from a lint run over whole repositories: ADD <<EOT writing a sources list',
      code: 'FROM debian\nADD <<EOT /etc/apt/sources.list.d/extra.list\ndeb https://deb.example.org/debian bookworm main\nEOT\n',
    },
    {
      name: 'git source with ?ref=',
      origin: 'moby/buildkit frontend/dockerfile/docs/reference.md (ADD git with query)',
      code: 'FROM alpine\nADD https://github.com/moby/buildkit.git?ref=v0.14.1 /src\n',
    },
    {
      name: 'git source with ?commit=',
      code: 'FROM alpine\nADD https://github.com/moby/buildkit.git?commit=75a81ba42ce48f6f4a7c1a67e1fac4a8d9ec2446 /src\n',
    },
    {
      name: 'git source with &keep-git-dir=1',
      code: 'FROM alpine\nADD https://github.com/moby/buildkit.git?ref=v0.14.1&keep-git-dir=1 /buildkit\n',
    },
    {
      name: 'a quoted git URL with a variable ref',
      origin: 'moby/buildkit Dockerfile:278',
      code: 'FROM golang AS containerd-src\nARG CONTAINERD_VERSION=v2.1.4\nADD --keep-git-dir=true "https://github.com/containerd/containerd.git#$CONTAINERD_VERSION" .\n',
    },
    {name: 'git over ssh', code: 'FROM alpine\nADD git@github.com:moby/buildkit.git#v0.14.1 /src\n'},
  ],
  invalid: [
    {
      name: 'url without checksum',
      code: 'FROM scratch\nADD https://example.com/a.tgz /a\n',
      errors: [{line: 2, suggestion: 'ADD --checksum=sha256:<digest> https://example.com/a.tgz /a'}],
    },
    {
      name: 'a quoted URL is the same URL to BuildKit',
      origin: 'reduced from a lint run over whole repositories',
      code: "FROM scratch\nADD 'https://example.com/tini' /tini\n",
      errors: [{line: 2, message: /ADD https:\/\/example.com\/tini has no --checksum/}],
    },
    {
      name: 'a download with --chmod and no checksum',
      origin: 'moby/moby Dockerfile:68',
      code: 'FROM debian AS criu\nADD --chmod=0644 https://download.opensuse.org/repositories/devel:/tools:/criu/Debian_11/Release.key /etc/apt/trusted.gpg.d/criu.gpg.asc\n',
      errors: [{line: 2}],
    },
    {
      name: 'a URL from an ARG',
      code: 'FROM scratch\nARG V=1.2\nADD https://example.com/tool-${V}.tgz /t\n',
      errors: [{line: 3, message: /tool-1\.2\.tgz/}],
    },
    {name: 'exec form', code: 'FROM scratch\nADD ["https://example.com/a.tgz", "/a"]\n', errors: [{line: 2}]},
  ],
})
