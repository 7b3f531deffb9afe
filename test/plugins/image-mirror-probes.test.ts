/**
 * The probe Dockerfiles carry the build's mirrors: the image-mirror rule's own edits (as the engine
 * hands them to the probes) are spliced into the head a probe builds, and the probe stage of a
 * listing of `COPY --from=<image>` names the image as the build's line will. Real lines: ocurrent's
 * opam image with its COPY --link --chown, and COPY --from --exclude splitting an image's layers.
 */
import t from 'tap'

import {rule} from '../../plugins/image-mirror.js'
import {type Finding, parseDockerfile, rewriteDockerfile} from '../../src/rewrite/index.js'
import {accountsProbe, listingProbe} from '../../src/rewrite/probe-builds.js'

const HUB = {'docker.io': 'mirror.example.com/hub'}

/** The image-mirror findings for `code`, as the engine gives them to the probes. */
async function mirrorFindings(code: string, mirrors: Record<string, string>): Promise<Finding[]> {
  const result = await rewriteDockerfile([rule], {
    text: code,
    file: 'Dockerfile',
    config: {mirrors},
    facts: {unavailable: 'no probes in unit tests'},
  })
  return result.findings
}

interface ProbeCase {
  name: string
  origin?: string
  code: string
  mirrors: Record<string, string>
  /** The 1-based line probed. */
  line: number
  /** A listing of this `--from` value; else the users and groups at the line. */
  from?: string
  probe: string
}

const cases: ProbeCase[] = [
  {
    name: 'accounts: FROM and # syntax= are mirrored, the probed line and later ones are not in the probe',
    origin: 'ocurrent/docker-base-images Dockerfile:76',
    code: '# syntax=docker/dockerfile:1\nFROM ocaml/opam:debian-12-ocaml-4.14\nCOPY --link --chown=opam:opam [ ".", "/home/opam/opam-repository" ]\nFROM alpine:3.20\n',
    mirrors: HUB,
    line: 3,
    probe:
      '# syntax=mirror.example.com/hub/docker/dockerfile:1\nFROM mirror.example.com/hub/ocaml/opam:debian-12-ocaml-4.14\nFROM scratch AS dbuild-probe\nCOPY --from=0 /etc/passwd* /etc/group* /\n',
  },
  {
    name: 'accounts: no mirror for the image: the probe pulls what the build pulls, unchanged',
    code: 'FROM ocaml/opam:debian-12-ocaml-4.14\nCOPY --link --chown=opam:opam [ ".", "/home/opam/opam-repository" ]\n',
    mirrors: {'ghcr.io': 'mirror.example.com/ghcr'},
    line: 2,
    probe: 'FROM ocaml/opam:debian-12-ocaml-4.14\nFROM scratch AS dbuild-probe\nCOPY --from=0 /etc/passwd* /etc/group* /\n',
  },
  {
    name: 'accounts: earlier --link lines are unlinked and their --from images mirrored in the same splice',
    code: 'FROM ubuntu:noble\nCOPY --link --from=busybox:1.36 /bin/busybox /bin/\nCOPY --link --chown=ubuntu:ubuntu foo /home/ubuntu/x\n',
    mirrors: HUB,
    line: 3,
    probe:
      'FROM mirror.example.com/hub/library/ubuntu:noble\nCOPY  --from=mirror.example.com/hub/library/busybox:1.36 /bin/busybox /bin/\nFROM scratch AS dbuild-probe\nCOPY --from=0 /etc/passwd* /etc/group* /\n',
  },
  {
    name: 'accounts: a variable FROM is not rewritten by the rule, so not in the probe either',
    code: 'ARG BASE=ubuntu:noble\nFROM $BASE\nCOPY --link --chown=ubuntu:ubuntu foo /home/ubuntu/x\n',
    mirrors: HUB,
    line: 3,
    probe: 'ARG BASE=ubuntu:noble\nFROM $BASE\nFROM scratch AS dbuild-probe\nCOPY --from=0 /etc/passwd* /etc/group* /\n',
  },
  {
    name: 'listing of a stage: its FROM mirrored',
    origin: 'moby/buildkit#5690',
    code: '# syntax=docker/dockerfile:1.7-labs\nFROM ubuntu AS base\nFROM scratch AS final\nCOPY --from=base --exclude=opt / /\n',
    mirrors: HUB,
    line: 4,
    from: 'base',
    probe:
      '# syntax=mirror.example.com/hub/docker/dockerfile:1.7-labs\nFROM mirror.example.com/hub/library/ubuntu AS base\nFROM scratch AS final\nFROM base AS dbuild-probe\n',
  },
  {
    name: 'listing of an image: the probe stage is built from the mirrored image',
    code: 'FROM scratch AS final\nCOPY --from=ubuntu:noble --exclude=opt / /\n',
    mirrors: HUB,
    line: 2,
    from: 'ubuntu:noble',
    probe: 'FROM scratch AS final\nFROM mirror.example.com/hub/library/ubuntu:noble AS dbuild-probe\n',
  },
  {
    name: 'listing of an image named by a variable: left as the build leaves it',
    code: 'ARG SRC=ubuntu:noble\nFROM scratch AS final\nCOPY --from=$SRC --exclude=opt / /\n',
    mirrors: HUB,
    line: 3,
    from: 'ubuntu:noble',
    probe: 'ARG SRC=ubuntu:noble\nFROM scratch AS final\nFROM ubuntu:noble AS dbuild-probe\n',
  },
]

for (const c of cases) {
  t.test(c.name, async (t) => {
    const model = parseDockerfile(c.code)
    const instruction = model.instructions.find((i) => i.line === c.line)
    if (!instruction) throw new Error(`no instruction on line ${c.line}`)
    const sources = await mirrorFindings(c.code, c.mirrors)
    const probe = c.from === undefined ? accountsProbe(model, instruction, sources) : listingProbe(model, instruction, c.from, sources)
    t.equal(probe, c.probe)
  })
}
