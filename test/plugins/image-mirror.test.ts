import t from 'tap'

import {mirrorKey, mirrorReference, rule} from '../../plugins/image-mirror.js'
import {ruleTester} from './rule-tester.js'

const mirrors = {
  'docker.io/docker/dockerfile': 'registry.example.com/mirror/dockerfile',
  ubuntu: 'registry.example.com/hub/ubuntu',
  'ghcr.io/org': 'mirror.example/ghcr-org',
}
/** Keys that are bare registry hosts, as mirror lists for ghcr.io, quay.io and the like name them. */
const hosts = {
  'ghcr.io': 'mirror.example.com/ghcr',
  'mcr.microsoft.com': 'mirror.example.com/mcr',
  'quay.io': 'mirror.example.com/quay',
  'registry.k8s.io': 'mirror.example.com/k8s',
}

t.test('mirrorReference', async (t) => {
  const table: [string, Record<string, string>, string | undefined][] = [
    ['docker/dockerfile:1.7', mirrors, 'registry.example.com/mirror/dockerfile:1.7'],
    ['docker.io/docker/dockerfile@sha256:abc', mirrors, 'registry.example.com/mirror/dockerfile@sha256:abc'],
    ['ubuntu', mirrors, 'registry.example.com/hub/ubuntu'],
    ['library/ubuntu:22.04', mirrors, 'registry.example.com/hub/ubuntu:22.04'],
    ['docker.io/library/ubuntu:22.04@sha256:abc', mirrors, 'registry.example.com/hub/ubuntu:22.04@sha256:abc'],
    ['ubuntu-other:1', mirrors, undefined],
    ['ghcr.io/org/tool:2', mirrors, 'mirror.example/ghcr-org/tool:2'],
    ['localhost:5000/x:1', mirrors, undefined],
    ['registry.example.com/hub/ubuntu:22.04', mirrors, undefined],
    ['ghcr.io/devcontainers/features/node:1', hosts, 'mirror.example.com/ghcr/devcontainers/features/node:1'],
    ['mcr.microsoft.com/dotnet/sdk:8.0-jammy', hosts, 'mirror.example.com/mcr/dotnet/sdk:8.0-jammy'],
    ['quay.io/prometheus/node-exporter:v1.8.2', hosts, 'mirror.example.com/quay/prometheus/node-exporter:v1.8.2'],
    ['registry.k8s.io/pause:3.9', hosts, 'mirror.example.com/k8s/pause:3.9'],
    ['ghcr.io.example.com/x:1', hosts, undefined],
    ['ubuntu:22.04', hosts, undefined],
    ['ubuntu:22.04', {'docker.io': 'mirror.example.com/hub'}, 'mirror.example.com/hub/library/ubuntu:22.04'],
    ['localhost:5000/x:1', {'localhost:5000': 'mirror.example.com/local'}, 'mirror.example.com/local/x:1'],
    ['ghcr.io/org/tool:2', {...hosts, 'ghcr.io/org': 'mirror.example/ghcr-org'}, 'mirror.example/ghcr-org/tool:2'],
  ]
  for (const [input, table_, expected] of table)
    t.equal(mirrorReference(input, table_), expected, `${input} with ${Object.keys(table_).join(', ')}`)
})

t.test('mirrorKey: keys that can never match say why', async (t) => {
  for (const key of ['ubuntu:22.04', 'https://ghcr.io', 'ghcr.io/Org', 'ubuntu@sha256:abc', '*.gcr.io', ''])
    t.ok('never' in mirrorKey(key), key)
  for (const key of ['ghcr.io', 'ghcr.io/', 'ubuntu', 'library/ubuntu', 'docker.io', 'localhost:5000', 'registry.k8s.io/pause'])
    t.ok('prefix' in mirrorKey(key), key)
})

ruleTester(t, rule, {
  valid: [
    {name: 'no mirrors, no hub frontend', code: 'FROM 127.0.0.1:5000/base\nRUN true\n'},
    {name: 'no mirrors: a variable image says nothing', code: 'ARG BASE=ubuntu\nFROM $BASE\n'},
    {
      name: 'BUILDKIT_SYNTAX off Docker Hub and no mirror for it: nothing, and the Hub # syntax= line it overrides is not pulled',
      origin:
        'railwayapp/railpack docs/src/content/docs/platforms/buildkit-frontend.md:26: --build-arg BUILDKIT_SYNTAX="ghcr.io/railwayapp/railpack-frontend"',
      code: '# syntax=docker/dockerfile:1\nFROM scratch\n',
      buildArgs: {BUILDKIT_SYNTAX: 'ghcr.io/railwayapp/railpack-frontend'},
    },
    {
      name: 'BUILDKIT_SYNTAX already on the mirror: nothing to change',
      origin:
        'docker/docs content/manuals/build/buildkit/frontend.md:33: docker build --build-arg BUILDKIT_SYNTAX=docker/dockerfile:1 ., through the mirror',
      code: 'FROM scratch\n',
      config: {mirrors},
      buildArgs: {BUILDKIT_SYNTAX: 'registry.example.com/mirror/dockerfile:1'},
    },
    {
      name: 'a named context (--build-context src_dir=DIR) read by RUN --mount from= and COPY --from is no image',
      origin:
        'IceCodeNew/docker-collections Stronghold-Protocol/Dockerfile:10,22 (built with --build-context src_dir=/tmp/stronghold-source)',
      code: 'FROM scratch AS deps\nRUN --mount=type=bind,from=src_dir,source=./package.json,target=./package.json true\nCOPY --link --parents --from=src_dir ./package.json /app/\n',
      config: {mirrors: {'docker.io': 'mirror.example.com/hub'}},
      buildContexts: ['src_dir'],
    },
    {
      name: 'FROM a named context, and the same name spelled as a Docker Hub reference (BuildKit looks it up by its familiar name, :latest dropped)',
      code: 'FROM base\nCOPY --from=docker.io/library/src_dir:latest / /x\nCOPY --from=library/src_dir / /y\n',
      config: {mirrors: {'docker.io/library': 'mirror.example.com/hub'}},
      buildContexts: ['base', 'src_dir'],
    },
    {
      name: "a named context that overrides an image by its name (alpine=docker-image://…) is the build's, not the mirror's",
      code: 'FROM alpine:3.20\n',
      config: {mirrors: {'docker.io': 'mirror.example.com/hub'}},
      buildContexts: ['docker.io/library/alpine:3.20'],
    },
  ],
  invalid: [
    {
      name: 'a named context of another name or tag leaves the image mirrored',
      code: 'FROM alpine:3.20\nCOPY --from=src_dir:1 / /x\n',
      config: {mirrors: {'docker.io': 'mirror.example.com/hub'}},
      buildContexts: ['alpine:3.19', 'src_dir', 'base::linux/amd64'],
      output: 'FROM mirror.example.com/hub/library/alpine:3.20\nCOPY --from=mirror.example.com/hub/library/src_dir:1 / /x\n',
      errors: [
        {line: 1, severity: 'info'},
        {line: 2, severity: 'info'},
      ],
    },
    {
      name: 'all four places rewritten, stages and scratch left alone',
      code: '# syntax=docker/dockerfile:1.7\nFROM ubuntu:22.04 AS build\nFROM scratch\nCOPY --from=build /a /a\nCOPY --from=ghcr.io/org/tool:2 /bin/tool /tool\nRUN --mount=type=bind,from=ubuntu,target=/u true\n',
      config: {mirrors},
      output:
        '# syntax=registry.example.com/mirror/dockerfile:1.7\nFROM registry.example.com/hub/ubuntu:22.04 AS build\nFROM scratch\nCOPY --from=build /a /a\nCOPY --from=mirror.example/ghcr-org/tool:2 /bin/tool /tool\nRUN --mount=type=bind,from=registry.example.com/hub/ubuntu,target=/u true\n',
      errors: [
        {line: 1, severity: 'info'},
        {line: 2, severity: 'info'},
        {line: 5, severity: 'info'},
        {line: 6, severity: 'info'},
      ],
    },
    {
      name: 'a bare registry host matches every image on it',
      origin: 'dotnet/dotnet-docker src/sdk/8.0/jammy/amd64/Dockerfile (FROM mcr.microsoft.com/dotnet/aspnet:8.0.x-jammy-amd64)',
      code: 'ARG REPO=mcr.microsoft.com/dotnet/aspnet\nFROM mcr.microsoft.com/dotnet/aspnet:8.0.11-jammy-amd64\nCOPY --from=ghcr.io/devcontainers/features/node:1 /x /x\n',
      config: {mirrors: hosts},
      output:
        'ARG REPO=mcr.microsoft.com/dotnet/aspnet\nFROM mirror.example.com/mcr/dotnet/aspnet:8.0.11-jammy-amd64\nCOPY --from=mirror.example.com/ghcr/devcontainers/features/node:1 /x /x\n',
      errors: [
        {line: 2, severity: 'info', message: /mirror\.example\.com\/mcr/},
        {line: 3, severity: 'info'},
      ],
    },
    {
      name: 'a key that can never match warns',
      code: 'FROM ubuntu:22.04\n',
      config: {mirrors: {'ubuntu:22.04': 'mirror.example.com/ubuntu'}},
      errors: [{line: 1, message: /"ubuntu:22.04" .*can never match.*not a tag/}],
    },
    {
      name: 'an image in a meta ARG: which mirror covers its default is said, the line is left alone',
      origin: 'dotnet/dotnet-docker src/runtime/8.0/azurelinux3.0-distroless/arm64v8/Dockerfile:1,30',
      code: 'ARG REPO=mcr.microsoft.com/dotnet/runtime-deps\nFROM $REPO:8.0.30-azurelinux3.0-distroless-arm64v8\n',
      config: {mirrors: hosts},
      errors: [
        {
          line: 2,
          severity: 'info',
          message:
            /is mcr\.microsoft\.com\/dotnet\/runtime-deps:8\.0\.30-azurelinux3\.0-distroless-arm64v8 here, .*→ mirror\.example\.com\/mcr\/dotnet\/runtime-deps:8\.0\.30/,
        },
      ],
    },
    {
      name: 'syntax from Docker Hub without a mirror warns',
      code: '# syntax=docker/dockerfile:1\nFROM scratch\n',
      errors: [{line: 1, message: /Docker Hub.*drop the line to use the builder's built-in frontend/}],
    },
    {
      name: 'a labs frontend: the advice is the mirror, never dropping the line',
      origin: 'moby/policy-helpers Dockerfile:1,16 (# syntax=docker/dockerfile:1.19-labs, COPY --parents)',
      code: '# syntax=docker/dockerfile:1.19-labs\nFROM scratch AS tuf-root\nCOPY --parents --from=sigstore-root-signing targets/trusted_root.json /\n',
      errors: [{line: 1, message: /^(?![\s\S]*drop the line)[\s\S]*keep the line: it asks for a labs frontend/}],
    },
    {
      name: 'COPY --parents under a stable syntax line: keep the line',
      origin: 'moby/policy-helpers Dockerfile:16, under # syntax=docker/dockerfile:1.20',
      code: '# syntax=docker/dockerfile:1.20\nFROM scratch AS tuf-root\nCOPY --parents --from=sigstore-root-signing targets/trusted_root.json /\n',
      errors: [{line: 1, message: /^(?![\s\S]*drop the line)[\s\S]*keep the line: line 3 uses COPY --parents/}],
    },
    {
      name: 'COPY --exclude from the context: keep the line',
      origin: 'dunglas/symfony-docker Dockerfile: COPY --link --exclude=frankenphp/ . ./',
      code: '# syntax=docker/dockerfile:1\nFROM scratch\nCOPY --link --exclude=frankenphp/ . ./\n',
      errors: [{line: 1, message: /^(?![\s\S]*drop the line)[\s\S]*keep the line: line 3 uses COPY --exclude/}],
    },
    {
      name: 'dockerfile-copy referenced',
      code: 'FROM scratch\nCOPY --from=docker/dockerfile-copy:v0.1.9 /bin/copy /copy\n',
      errors: [{line: 2, message: /dockerfile-copy/}],
    },
    {
      name: 'BUILDKIT_DISABLE_FILEOP',
      code: 'FROM scratch\nARG BUILDKIT_DISABLE_FILEOP=1\n',
      errors: [{line: 2, message: /BUILDKIT_DISABLE_FILEOP/}],
    },
    {
      name: 'image in a variable is reported, not rewritten',
      code: 'ARG BASE=ubuntu\nFROM $BASE\n',
      config: {mirrors},
      errors: [{severity: 'info', message: /variable/}],
    },
    {
      name: '--build-arg BUILDKIT_SYNTAX picks the frontend: mirrored as a build arg fix, the file unchanged',
      origin: 'docker/docs content/manuals/build/buildkit/frontend.md:33: docker build --build-arg BUILDKIT_SYNTAX=docker/dockerfile:1 .',
      code: 'FROM scratch\n',
      config: {mirrors},
      buildArgs: {BUILDKIT_SYNTAX: 'docker/dockerfile:1'},
      buildArgsOutput: {BUILDKIT_SYNTAX: 'registry.example.com/mirror/dockerfile:1'},
      errors: [
        {
          line: 1,
          severity: 'info',
          message:
            /--build-arg BUILDKIT_SYNTAX=docker\/dockerfile:1 → registry\.example\.com\/mirror\/dockerfile:1 .*a plain build needs --build-arg BUILDKIT_SYNTAX=registry\.example\.com\/mirror\/dockerfile:1\./,
          buildArgFix: {name: 'BUILDKIT_SYNTAX', value: 'registry.example.com/mirror/dockerfile:1'},
        },
      ],
    },
    {
      name: '--build-arg BUILDKIT_SYNTAX from Docker Hub without a mirror warns (lint and rewrite say so too)',
      origin: 'docker/docs content/manuals/build/buildkit/frontend.md:33: docker build --build-arg BUILDKIT_SYNTAX=docker/dockerfile:1 .',
      code: 'FROM scratch\n',
      buildArgs: {BUILDKIT_SYNTAX: 'docker/dockerfile:1'},
      errors: [{line: 1, message: /--build-arg BUILDKIT_SYNTAX=docker\/dockerfile:1 pulls the Dockerfile frontend from Docker Hub/}],
    },
    {
      name: 'the arg wins over the # syntax= line (a pinned # syntax= line and the arg that overrides it): both mirrored, the line said to be overridden',
      origin: 'Dockerfile:1 # syntax=docker/dockerfile:1.5 with --build-arg BUILDKIT_SYNTAX=docker/dockerfile:1.7',
      code: '# syntax=docker/dockerfile:1.5\nFROM debian:bullseye\nADD cat-me cat-me\n',
      config: {mirrors: {'docker.io/docker/dockerfile': 'registry.example.com/mirror/dockerfile'}},
      buildArgs: {BUILDKIT_SYNTAX: 'docker/dockerfile:1.7'},
      buildArgsOutput: {BUILDKIT_SYNTAX: 'registry.example.com/mirror/dockerfile:1.7'},
      output: '# syntax=registry.example.com/mirror/dockerfile:1.5\nFROM debian:bullseye\nADD cat-me cat-me\n',
      errors: [
        {line: 1, severity: 'info', message: /^--build-arg BUILDKIT_SYNTAX=docker\/dockerfile:1\.7 → /},
        {
          line: 1,
          severity: 'info',
          message: /^# syntax= docker\/dockerfile:1\.5 → .*\(not read by this build: --build-arg BUILDKIT_SYNTAX overrides it\)/,
        },
      ],
    },
    {
      name: 'a Hub # syntax= line the arg overrides is not the one warned about: the arg is',
      origin: 'Dockerfile:1 # syntax=docker/dockerfile:1.5; docker/docs content/manuals/build/buildkit/frontend.md:33 for the arg',
      code: '# syntax=docker/dockerfile:1.5\nFROM scratch\n',
      buildArgs: {BUILDKIT_SYNTAX: 'docker/dockerfile:1'},
      errors: [{line: 1, message: /^--build-arg BUILDKIT_SYNTAX=docker\/dockerfile:1 pulls/}],
    },
    {
      name: 'only the first word of BUILDKIT_SYNTAX names the image; the rest of the value is kept',
      origin: 'moby/buildkit frontend/dockerfile/builder/build.go: strings.SplitN(strings.TrimSpace(cmdline), " ", 2)',
      code: 'FROM scratch\n',
      config: {mirrors},
      buildArgs: {BUILDKIT_SYNTAX: ' docker/dockerfile:1.6 extra-words'},
      buildArgsOutput: {BUILDKIT_SYNTAX: ' registry.example.com/mirror/dockerfile:1.6 extra-words'},
      errors: [
        {
          line: 1,
          severity: 'info',
          buildArgFix: {name: 'BUILDKIT_SYNTAX', value: ' registry.example.com/mirror/dockerfile:1.6 extra-words'},
        },
      ],
    },
    {
      name: 'a BUILDKIT_SYNTAX frontend on another registry, through a host mirror',
      origin:
        'railwayapp/railpack docs/src/content/docs/platforms/buildkit-frontend.md:26: --build-arg BUILDKIT_SYNTAX="ghcr.io/railwayapp/railpack-frontend"',
      code: 'FROM scratch\n',
      config: {mirrors: hosts},
      buildArgs: {BUILDKIT_SYNTAX: 'ghcr.io/railwayapp/railpack-frontend', OTHER: 'ghcr.io/railwayapp/railpack-frontend'},
      buildArgsOutput: {BUILDKIT_SYNTAX: 'mirror.example.com/ghcr/railwayapp/railpack-frontend'},
      errors: [{line: 1, severity: 'info', message: /→ mirror\.example\.com\/ghcr\/railwayapp\/railpack-frontend/}],
    },
    {
      name: 'CRLF and BOM kept',
      code: '\uFEFF# syntax=docker/dockerfile:1\r\nFROM ubuntu\r\n',
      config: {mirrors},
      output: '\uFEFF# syntax=registry.example.com/mirror/dockerfile:1\r\nFROM registry.example.com/hub/ubuntu\r\n',
      errors: [
        {line: 1, severity: 'info'},
        {line: 2, severity: 'info'},
      ],
    },
  ],
})
