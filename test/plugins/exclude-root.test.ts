import t from 'tap'

import {rule} from '../../plugins/exclude-root.js'
import {excludeSupport, frontendHasExclude} from '../../plugins/exclude-root/support.js'
import {rule as imageMirror} from '../../plugins/image-mirror.js'
import {resolveRules} from '../../src/rewrite/index.js'
import {dir, file, ruleTester, symlink} from './rule-tester.js'

const base = [
  dir('bin'),
  file('bin/sh', 0o755),
  dir('etc'),
  file('etc/passwd'),
  dir('opt'),
  file('opt/foo'),
  dir('usr'),
  dir('usr/share'),
  dir('usr/share/doc'),
  file('usr/share/doc/x'),
  dir('usr/lib'),
  symlink('usr/share/doc/NEWS', '../missing'),
]
const HEAD = 'FROM img AS base\nFROM scratch\n'
/** A stage with cp (busybox style: a symlink to the binary), a symlink and a broken one at the top. */
const withCp = [
  ...base.filter((e) => e.path !== 'opt/foo'),
  symlink('bin/cp', 'busybox'),
  file('bin/busybox', 0o755),
  file('opt/foo'),
  symlink('lib', 'usr/lib'),
  symlink('broken', '/nonexistent'),
]
/** Ubuntu's usrmerge: /bin and /lib are symlinks into /usr, cp lives in /usr/bin. */
const usrmerge = [
  symlink('bin', 'usr/bin'),
  symlink('lib', 'usr/lib'),
  dir('etc'),
  dir('usr'),
  dir('usr/bin'),
  file('usr/bin/cp', 0o755),
  dir('usr/lib'),
  symlink('usr/lib64', 'lib'),
  dir('usr/share'),
  dir('usr/share/doc'),
]

/** The helper stage text the rule inserts: one WORKDIR + RUN per level of [links, directory]. */
function helper(from: string, name: string, cp: string, ...levels: [string[], string][]): string {
  const runs = levels.flatMap(([links, dir]) => [
    `WORKDIR ${dir}`,
    `RUN --mount=type=bind,from=${from},target=/dbuild-src ${JSON.stringify([cp, '-RPp', ...links.map((l) => '/dbuild-src' + l), dir]).replaceAll('","', '", "')}`,
  ])
  return (
    [
      '# dbuild exclude-root: the symlinks next to excluded paths, which a COPY cannot name',
      `FROM ${from} AS ${name}`,
      'USER 0:0',
      ...runs,
    ].join('\n') + '\n\n'
  )
}

const MIRRORS = {ubuntu: 'registry.example.com/hub/ubuntu'}
const MIRRORED = 'registry.example.com/hub/ubuntu:24.04'

/** A builder whose BuildKit predates the broken-symlink fix (moby/buildkit#6220, v0.25.0): the rewrite is needed. */
const OLD = {builder: {name: 'old', buildkitVersion: 'v0.24.0'}}

ruleTester(t, rule, {
  valid: [
    {...OLD, name: 'no exclude', code: `${HEAD}COPY --from=base / /\n`},
    {name: 'a context copy without --exclude needs nothing', code: `${HEAD}COPY . /\n`},
    {
      ...OLD,
      name: 'BUILDKIT_SYNTAX with no COPY --exclude: nothing to say',
      code: `${HEAD}COPY --from=base / /\n`,
      buildArgs: {BUILDKIT_SYNTAX: 'docker/dockerfile:1.6'},
    },
  ],
  invalid: [
    {
      name: 'a copy from the build context under --exclude on a BuildKit before v0.25 with a labs frontend: warning, line kept',
      origin: 'dunglas/symfony-docker Dockerfile: COPY --link --exclude=frankenphp/ . ./',
      code: `# syntax=docker/dockerfile:1.7-labs\n${HEAD}COPY --link --exclude=frankenphp/ . ./\n`,
      ...OLD,
      errors: [
        {
          line: 4,
          severity: 'warning',
          message:
            /from the build context fails here if a symlink in the copied tree does not resolve inside the context: builder old runs BuildKit v0\.24\.0.*\.dockerignore/,
        },
      ],
    },
    {
      name: 'ADD --exclude from the context on the built-in frontend of a BuildKit before v0.25 (no --exclude): error, line kept',
      code: `${HEAD}ADD --exclude=*.md docs /docs\n`,
      ...OLD,
      errors: [
        {
          line: 3,
          severity: 'error',
          message:
            /^ADD --exclude fails here: builder old's built-in Dockerfile frontend has no --exclude.*does not rewrite a copy from the build context/,
        },
      ],
    },
    {
      name: 'a copy from the build context under --exclude on BuildKit v0.25+: info, left alone',
      origin: 'dunglas/symfony-docker Dockerfile: COPY --link --exclude=frankenphp/ . ./',
      code: `${HEAD}COPY --link --exclude=frankenphp/ . ./\n`,
      builder: {name: 'new', buildkitVersion: 'v0.25.1'},
      errors: [{line: 3, severity: 'info', message: /^COPY --exclude is left as it is: builder new runs BuildKit v0\.25\.1/}],
    },
    {
      name: 'a builder with BuildKit v0.25+ and its built-in frontend (dockerfile 1.19) has --exclude and the fix: info, left alone',
      origin: 'reported: COPY --from=base --exclude=/opt / /',
      code: `${HEAD}COPY --from=base --exclude=opt / /\n`,
      builder: {name: 'new', buildkitVersion: 'v0.25.1'},
      errors: [
        {
          severity: 'info',
          message: /builder new runs BuildKit v0\.25\.1 .*moby\/buildkit#6220.*built-in Dockerfile frontend has --exclude/,
        },
      ],
    },
    {
      name: 'BuildKit v0.25+ with a # syntax= frontend that has --exclude (1.7-labs): info',
      code: `# syntax=docker/dockerfile:1.7-labs\n${HEAD}COPY --from=base --exclude=opt / /\n`,
      builder: {name: 'new', buildkitVersion: 'v0.26.0'},
      errors: [{severity: 'info', message: /frontend docker\/dockerfile:1\.7-labs has --exclude/}],
    },
    {
      name: 'BuildKit v0.25+ but a # syntax= frontend without --exclude (1.6): error, rewritten',
      code: `# syntax=docker/dockerfile:1.6\n${HEAD}COPY --from=base --exclude=opt / /\n`,
      builder: {name: 'new', buildkitVersion: 'v0.25.0'},
      listings: {base},
      output: `# syntax=docker/dockerfile:1.6\n${HEAD}COPY --from=base /bin /bin\nCOPY --from=base /etc /etc\nCOPY --from=base /usr /usr\n`,
      errors: [{line: 4, message: /the frontend docker\/dockerfile:1\.6 has no --exclude/}],
    },
    {
      name: 'BuildKit v0.25+ and no # syntax= line, but --build-arg BUILDKIT_SYNTAX picks a frontend without --exclude (1.6): error, rewritten',
      origin:
        'docker/docs content/manuals/build/buildkit/frontend.md:33: docker build --build-arg BUILDKIT_SYNTAX=docker/dockerfile:1 .; a reported COPY --from=base --exclude=/opt / / for the COPY',
      code: `${HEAD}COPY --from=base --exclude=opt / /\n`,
      buildArgs: {BUILDKIT_SYNTAX: 'docker/dockerfile:1.6'},
      builder: {name: 'new', buildkitVersion: 'v0.25.0'},
      listings: {base},
      output: `${HEAD}COPY --from=base /bin /bin\nCOPY --from=base /etc /etc\nCOPY --from=base /usr /usr\n`,
      errors: [
        {
          line: 3,
          message:
            /the frontend docker\/dockerfile:1\.6 \(--build-arg BUILDKIT_SYNTAX, which BuildKit uses before any # syntax= line\) has no --exclude/,
        },
      ],
    },
    {
      name: 'BUILDKIT_SYNTAX wins over the # syntax= line (moby/buildkit builder/build.go forwards to the arg first): 1.6 in the line, 1 in the arg: info, left alone',
      origin: 'docker/docs content/manuals/build/buildkit/frontend.md:33: docker build --build-arg BUILDKIT_SYNTAX=docker/dockerfile:1 .',
      code: `# syntax=docker/dockerfile:1.6\n${HEAD}COPY --from=base --exclude=opt / /\n`,
      buildArgs: {BUILDKIT_SYNTAX: 'docker/dockerfile:1'},
      builder: {name: 'new', buildkitVersion: 'v0.25.0'},
      errors: [{severity: 'info', message: /the frontend docker\/dockerfile:1 \(--build-arg BUILDKIT_SYNTAX.*\) has --exclude/}],
    },
    {
      name: 'BUILDKIT_SYNTAX wins the other way too, and only its first word names the image: 1.7-labs in the line, "1.6 …" in the arg: error',
      code: `# syntax=docker/dockerfile:1.7-labs\n${HEAD}COPY --from=base --exclude=opt / /\n`,
      buildArgs: {BUILDKIT_SYNTAX: ' docker/dockerfile:1.6 extra-words'},
      builder: {name: 'new', buildkitVersion: 'v0.26.0'},
      listings: {base},
      output: `# syntax=docker/dockerfile:1.7-labs\n${HEAD}COPY --from=base /bin /bin\nCOPY --from=base /etc /etc\nCOPY --from=base /usr /usr\n`,
      errors: [{line: 4, message: /the frontend docker\/dockerfile:1\.6 \(--build-arg BUILDKIT_SYNTAX/}],
    },
    {
      name: "a builder that reports v0.0.0+unknown (Docker's built-in BuildKit as Debian builds it) on an engine dbuild cannot place: warning, left alone",
      origin: 'reported: COPY --from=src --exclude=/app/skip / / on Debian-built Docker 28.5',
      code: `${HEAD}COPY --from=base --exclude=opt / /\n`,
      builder: {
        name: 'default',
        driver: 'docker',
        reported: 'v0.0.0+unknown',
        buildkitFrom:
          'builder default reports BuildKit v0.0.0+unknown, and dbuild does not know which BuildKit Docker Engine 31.0.0 vendors',
      },
      listings: {base},
      errors: [
        {
          severity: 'warning',
          message:
            /left as it is: .*BuildKit version is unknown \(builder default reports BuildKit v0\.0\.0\+unknown, .*does not rewrite on a guess/,
        },
      ],
    },
    {
      name: 'v0.0.0+unknown, but the engine (Debian-built Docker 28.5.2) vendors BuildKit v0.25.2: info, left alone',
      origin: 'reported: COPY --from=src --exclude=/app/skip / / on Debian-built Docker 28.5',
      code: `${HEAD}COPY --from=base --exclude=app/skip / /\n`,
      builder: {
        name: 'default',
        driver: 'docker',
        reported: 'v0.0.0+unknown',
        buildkitVersion: 'v0.25.2',
        buildkitFrom: 'builder default reports BuildKit v0.0.0+unknown; Docker Engine 28.5.2+dfsg4 vendors BuildKit v0.25.2',
      },
      errors: [
        {
          severity: 'info',
          message:
            /runs BuildKit v0\.25\.2 \(builder default reports BuildKit v0\.0\.0\+unknown; Docker Engine 28\.5\.2\+dfsg4 vendors BuildKit v0\.25\.2\)/,
        },
      ],
    },
    {
      name: 'lint without probes: the builder is unknown, a warning, not an error',
      code: `${HEAD}COPY --from=base --exclude=opt / /\n`,
      errors: [{severity: 'warning', message: /BuildKit version is unknown \(no probes in unit tests\).*does not rewrite on a guess/}],
    },
    {
      ...OLD,
      name: 'root minus /opt, one COPY per root entry (a deep broken symlink rides along in /usr)',
      code: `${HEAD}COPY --from=base --exclude=opt / /\nCOPY --from=base /opt /opt\n`,
      listings: {base},
      output: `${HEAD}COPY --from=base /bin /bin\nCOPY --from=base /etc /etc\nCOPY --from=base /usr /usr\nCOPY --from=base /opt /opt\n`,
      errors: [{ruleId: 'exclude-root', severity: 'error', line: 3}],
    },
    {
      ...OLD,
      name: 'a leading / excludes nothing (BuildKit matches relative to the source): the line loses its --exclude, and copies the same',
      origin: 'reported: COPY --from=base --exclude=/opt / /',
      code: `${HEAD}COPY --from=base --exclude=/opt / /\nCOPY --from=base /opt /opt\n`,
      listings: {base},
      output: `${HEAD}COPY --from=base / /\nCOPY --from=base /opt /opt\n`,
      errors: [{line: 3, message: /--exclude=\/opt \(a leading \/ or \.\.\) excludes nothing/}],
    },
    {
      ...OLD,
      name: 'a leading / next to a relative exclude: only the relative one is walked; ./ and a trailing / are cleaned away',
      origin: 'reported: COPY --from=src --exclude=/app/skip / / on Debian-built Docker 28.5',
      code: `${HEAD}COPY --from=base --exclude=/usr/share/doc --exclude=./opt/ / /\n`,
      listings: {base},
      output: `${HEAD}COPY --from=base /bin /bin\nCOPY --from=base /etc /etc\nCOPY --from=base /usr /usr\n`,
      errors: [{line: 3}],
    },
    {
      ...OLD,
      name: 'an exclude above the source excludes nothing',
      origin: 'COPY --from=base --exclude=../opt /usr /usr',
      code: `${HEAD}COPY --from=base --exclude=../opt /usr /usr\n`,
      output: `${HEAD}COPY --from=base /usr /usr\n`,
      errors: [{line: 3}],
    },
    {
      ...OLD,
      name: 'nested exclude walks its ancestors; flags carried; CRLF kept',
      code: `${HEAD}COPY --link --from=base --chown=1:2 --exclude=usr/share/doc / /out/\r\n`,
      listings: {base},
      output: `${HEAD}COPY --link --from=base --chown=1:2 /bin /out/bin\r\nCOPY --link --from=base --chown=1:2 /etc /out/etc\r\nCOPY --link --from=base --chown=1:2 /opt /out/opt\r\nCOPY --link --from=base --chown=1:2 /usr/lib /out/usr/lib\r\n`,
      errors: [{line: 3}],
    },
    {
      ...OLD,
      name: 'source below the root, excludes relative to it',
      code: `${HEAD}COPY --from=base --exclude=share /usr /usr\n`,
      listings: {base},
      output: `${HEAD}COPY --from=base /usr/lib /usr/lib\n`,
      errors: [{line: 3}],
    },
    {
      ...OLD,
      name: 'wildcard exclude: left alone with a warning',
      code: `${HEAD}COPY --from=base --exclude=*.md / /\n`,
      errors: [{severity: 'warning', message: /wildcard/}],
    },
    {
      ...OLD,
      name: 'no listing: unsure',
      code: `${HEAD}COPY --from=base --exclude=opt / /\n`,
      errors: [{message: /tree of base is unknown/}],
    },
    {
      ...OLD,
      name: 'a symlink next to an excluded path, and no cp in the stage: unsure, with the lines that copy the rest',
      code: `${HEAD}COPY --from=base --exclude=opt / /\n`,
      listings: {base: [...base, symlink('lib', 'usr/lib')]},
      errors: [
        {
          message: /\/lib is a symlink next to an excluded path.*base has no \/bin\/cp or \/usr\/bin\/cp/,
          suggestion: 'COPY --from=base /bin /bin\nCOPY --from=base /etc /etc\nCOPY --from=base /usr /usr',
        },
      ],
    },
    {
      ...OLD,
      name: 'root minus /opt with top-level symlinks (broken too): a helper stage copies them with cp -RPp, one COPY brings them over',
      code: `${HEAD}COPY --from=base --exclude=opt / /\n`,
      listings: {base: withCp},
      output: `FROM img AS base\n${helper('base', 'dbuild-links-1', '/bin/cp', [['/broken', '/lib'], '/dbuild-links/0/'])}FROM scratch\nCOPY --from=base /bin /bin\nCOPY --from=base /etc /etc\nCOPY --from=base /usr /usr\nCOPY --from=dbuild-links-1 /dbuild-links/0/ /\n`,
      errors: [{line: 3, message: /Rewritten into 4 COPY lines.*\/broken, \/lib are kept: helper stage dbuild-links-1/}],
    },
    {
      ...OLD,
      name: 'usrmerge: cp is found through the /bin symlink; links at two levels; flags carried, --from swapped; CRLF kept',
      code: `FROM img AS base\r\nFROM scratch\r\nCOPY --link --from=base --chown=1:2 --exclude=usr/share/doc / /out/\r\n`,
      listings: {base: usrmerge},
      output: `FROM img AS base\r\n${helper('base', 'dbuild-links-1', '/bin/cp', [['/bin', '/lib'], '/dbuild-links/0/'], [['/usr/lib64'], '/dbuild-links/1/']).replaceAll('\n', '\r\n')}FROM scratch\r\n${[
        'COPY --link --from=base --chown=1:2 /etc /out/etc',
        'COPY --link --from=base --chown=1:2 /usr/bin /out/usr/bin',
        'COPY --link --from=base --chown=1:2 /usr/lib /out/usr/lib',
        'COPY --link --from=dbuild-links-1 --chown=1:2 /dbuild-links/0/ /out/',
        'COPY --link --from=dbuild-links-1 --chown=1:2 /dbuild-links/1/ /out/usr/',
      ].join('\r\n')}\r\n`,
      errors: [{line: 3}],
    },
    {
      ...OLD,
      name: 'from an image: the helper is FROM that image; inserted above the comments over the stage (pragma stays with its FROM)',
      code: `# syntax=docker/dockerfile:1.7-labs\nFROM scratch AS a\n\n# the final stage\n# dbuild ignore=image-mirror\nFROM scratch\nCOPY --from=ubuntu:24.04 --exclude=opt / /\n`,
      listings: {'ubuntu:24.04': withCp},
      output: `# syntax=docker/dockerfile:1.7-labs\nFROM scratch AS a\n\n${helper('ubuntu:24.04', 'dbuild-links-1', '/bin/cp', [['/broken', '/lib'], '/dbuild-links/0/'])}# the final stage\n# dbuild ignore=image-mirror\nFROM scratch\nCOPY --from=ubuntu:24.04 /bin /bin\nCOPY --from=ubuntu:24.04 /etc /etc\nCOPY --from=ubuntu:24.04 /usr /usr\nCOPY --from=dbuild-links-1 /dbuild-links/0/ /\n`,
      errors: [{line: 7}],
    },
    {
      ...OLD,
      name: 'the first stage: the helper goes after the parser directives',
      code: `# syntax=docker/dockerfile:1.7-labs\nFROM scratch\nCOPY --from=img --exclude=opt / /\n`,
      listings: {img: withCp},
      output: `# syntax=docker/dockerfile:1.7-labs\n${helper('img', 'dbuild-links-0', '/bin/cp', [['/broken', '/lib'], '/dbuild-links/0/'])}FROM scratch\nCOPY --from=img /bin /bin\nCOPY --from=img /etc /etc\nCOPY --from=img /usr /usr\nCOPY --from=dbuild-links-0 /dbuild-links/0/ /\n`,
      errors: [{line: 3}],
    },
    {
      ...OLD,
      name: 'two lines of one stage share one helper stage',
      code: `${HEAD}COPY --from=base --exclude=opt / /\nCOPY --from=base --exclude=etc / /copy/\n`,
      listings: {base: withCp},
      output: `FROM img AS base\n${helper('base', 'dbuild-links-1', '/bin/cp', [['/broken', '/lib'], '/dbuild-links/0/'], [['/broken', '/lib'], '/dbuild-links/1/'])}FROM scratch\n${[
        'COPY --from=base /bin /bin',
        'COPY --from=base /etc /etc',
        'COPY --from=base /usr /usr',
        'COPY --from=dbuild-links-1 /dbuild-links/0/ /',
        'COPY --from=base /bin /copy/bin',
        'COPY --from=base /opt /copy/opt',
        'COPY --from=base /usr /copy/usr',
        'COPY --from=dbuild-links-1 /dbuild-links/1/ /copy/',
      ].join('\n')}\n`,
      errors: [{line: 3, fix: [{text: /^# dbuild exclude-root.*\nFROM base AS dbuild-links-1\n/}, {}]}, {line: 4}],
    },
    {
      ...OLD,
      name: 'a later numeric stage reference would shift: unsure',
      code: `${HEAD}COPY --from=base --exclude=opt / /\nFROM scratch\nCOPY --from=1 / /\n`,
      listings: {base: withCp},
      errors: [{line: 3, message: /line 5 refers to stage number 1, which a helper stage inserted before line 2 would shift/}],
    },
    {
      ...OLD,
      name: 'an earlier stage by number: the helper names it',
      code: `${HEAD}COPY --from=0 --exclude=opt / /\n`,
      listings: {'0': withCp},
      output: `FROM img AS base\n${helper('base', 'dbuild-links-1', '/bin/cp', [['/broken', '/lib'], '/dbuild-links/0/'])}FROM scratch\nCOPY --from=0 /bin /bin\nCOPY --from=0 /etc /etc\nCOPY --from=0 /usr /usr\nCOPY --from=dbuild-links-1 /dbuild-links/0/ /\n`,
      errors: [{line: 3}],
    },
    {
      ...OLD,
      name: "an unnamed stage cannot be a helper's FROM: unsure",
      code: `FROM img\nFROM scratch\nCOPY --from=0 --exclude=opt / /\n`,
      listings: {'0': withCp},
      errors: [{message: /0 has no \/bin\/cp or \/usr\/bin\/cp \(or is an unnamed stage\)/}],
    },
    {
      ...OLD,
      name: 'a link whose name has pattern characters is fine: only its directory is named in a COPY',
      code: `${HEAD}COPY --from=base --exclude=opt / /\n`,
      listings: {base: [dir('opt'), dir('usr'), dir('usr/bin'), file('usr/bin/cp', 0o755), symlink('a[1]', 'usr')]},
      output: `FROM img AS base\n${helper('base', 'dbuild-links-1', '/usr/bin/cp', [['/a[1]'], '/dbuild-links/0/'])}FROM scratch\nCOPY --from=base /usr /usr\nCOPY --from=dbuild-links-1 /dbuild-links/0/ /\n`,
      errors: [{line: 3}],
    },
    {
      ...OLD,
      name: 'a cp that is not executable does not count',
      code: `${HEAD}COPY --from=base --exclude=opt / /\n`,
      listings: {base: [dir('opt'), dir('bin'), file('bin/cp', 0o644), symlink('lib', 'bin')]},
      errors: [{message: /no \/bin\/cp or \/usr\/bin\/cp/}],
    },
    {
      ...OLD,
      name: 'the helper name is taken: unsure',
      code: `FROM img AS base\nFROM scratch AS dbuild-links-1\nCOPY --from=base --exclude=opt / /\n`,
      listings: {base: withCp},
      errors: [{message: /a stage is already named dbuild-links-1/}],
    },
    {
      ...OLD,
      name: 'names needing quotes use the exec form',
      code: `${HEAD}COPY --from=base --exclude=opt / /\n`,
      listings: {base: [dir('opt'), file('a b')]},
      output: `${HEAD}COPY --from=base ["/a b", "/a b"]\n`,
      errors: [{line: 3}],
    },
    {
      ...OLD,
      name: 'a source ending in .git is not read as a git repository',
      origin: 'test/integration/probe-key.test.ts: COPY . /app of a git checkout, then COPY --from=src --exclude=skip /app /app',
      code: `${HEAD}COPY --from=base --exclude=opt / /\n`,
      listings: {base: [dir('opt'), dir('.git'), file('.git/HEAD'), file('x.git')]},
      output: `${HEAD}COPY --from=base /.git/ /.git/\nCOPY --from=base /x.gi[t] /x.git\n`,
      errors: [{line: 3}],
    },
    {
      ...OLD,
      name: 'names with quotes: unsure, the line is left alone',
      origin: "adversarial pass: a file named it's.txt beside COPY --from=src --exclude=skip / / broke the rewritten line",
      code: `${HEAD}COPY --from=base --exclude=opt / /\n`,
      listings: {base: [dir('opt'), file("it's.txt"), file('say"hi"')]},
      errors: [{message: /pattern or variable: \/it's\.txt, \/say"hi"/, fix: undefined}],
    },
    {
      ...OLD,
      name: 'a name with a newline: unsure',
      code: `${HEAD}COPY --from=base --exclude=opt / /\n`,
      listings: {base: [dir('opt'), file('two\nlines')]},
      errors: [{message: /pattern or variable/}],
    },
    {
      ...OLD,
      name: 'names with pattern characters: unsure',
      code: `${HEAD}COPY --from=base --exclude=opt / /\n`,
      listings: {base: [dir('opt'), file('a[1]')]},
      errors: [{message: /pattern or variable/}],
    },
    {
      ...OLD,
      name: 'directories with their own mode are reported',
      code: `${HEAD}COPY --from=base --exclude=opt / /\n`,
      listings: {base: [dir('opt'), dir('tmp', 0o1777)]},
      output: `${HEAD}COPY --from=base /tmp /tmp\n`,
      errors: [{message: /\/tmp will be created with mode 0755/}],
    },
    {
      ...OLD,
      name: 'from a variable',
      code: `ARG SRC=base\n${HEAD}ARG SRC\nCOPY --from=$SRC --exclude=opt / /\n`,
      listings: {base: [dir('opt'), file('f')]},
      output: `ARG SRC=base\n${HEAD}ARG SRC\nCOPY --from=$SRC /f /f\n`,
      errors: [{line: 5}],
    },
    // image-mirror owns where an image comes from: the rewritten lines keep its --from=<mirror>
    // (ctx.asBuilt), and its fix counts as carried, not dropped as overlapping the whole line.
    {
      ...OLD,
      name: 'with image-mirror: every rewritten line keeps the mirrored --from=, nothing dropped',
      origin: 'reported: COPY --from=base --exclude=/opt / / where base is FROM ubuntu, with the image on the COPY line',
      code: `FROM scratch\nCOPY --from=ubuntu:24.04 --exclude=opt / /\n`,
      config: {mirrors: MIRRORS},
      alongside: [imageMirror],
      listings: {'ubuntu:24.04': base},
      output: `FROM scratch\nCOPY --from=${MIRRORED} /bin /bin\nCOPY --from=${MIRRORED} /etc /etc\nCOPY --from=${MIRRORED} /usr /usr\n`,
      errors: [{line: 2, fix: [{range: [13, 55], asBuilt: true}]}],
    },
    {
      ...OLD,
      name: 'with image-mirror and symlinks: the helper stage is FROM the mirror and bind-mounts it',
      origin: 'reported: COPY --from=base --exclude=/opt / / where base is FROM ubuntu, with the image on the COPY line',
      code: `FROM scratch\nCOPY --link --from=ubuntu:24.04 --exclude=opt / /\n`,
      config: {mirrors: MIRRORS},
      alongside: [imageMirror],
      listings: {'ubuntu:24.04': withCp},
      output: `${helper(MIRRORED, 'dbuild-links-0', '/bin/cp', [['/broken', '/lib'], '/dbuild-links/0/'])}FROM scratch\n${[
        `COPY --link --from=${MIRRORED} /bin /bin`,
        `COPY --link --from=${MIRRORED} /etc /etc`,
        `COPY --link --from=${MIRRORED} /usr /usr`,
        'COPY --link --from=dbuild-links-0 /dbuild-links/0/ /',
      ].join('\n')}\n`,
      errors: [{line: 2}],
    },
    {
      ...OLD,
      name: 'root minus /opt with image-mirror: the FROM is mirrored, the lines keep the stage reference',
      origin: 'reported: FROM ubuntu AS base … COPY --from=base --exclude=/opt / /',
      code: `FROM ubuntu:24.04 AS base\nFROM scratch\nCOPY --from=base --exclude=opt / /\n`,
      config: {mirrors: MIRRORS},
      alongside: [imageMirror],
      listings: {base},
      output: `FROM ${MIRRORED} AS base\nFROM scratch\nCOPY --from=base /bin /bin\nCOPY --from=base /etc /etc\nCOPY --from=base /usr /usr\n`,
      errors: [{line: 3}],
    },
    {
      ...OLD,
      name: 'image-mirror set to "warn": the build is not mirrored, so neither are the rewritten lines',
      code: `FROM scratch\nCOPY --from=ubuntu:24.04 --exclude=opt / /\n`,
      config: {mirrors: MIRRORS, rules: {'image-mirror': 'warn'}},
      alongside: await resolveRules([imageMirror], {mirrors: MIRRORS, rules: {'image-mirror': 'warn'}}),
      listings: {'ubuntu:24.04': base},
      output: `FROM scratch\nCOPY --from=ubuntu:24.04 /bin /bin\nCOPY --from=ubuntu:24.04 /etc /etc\nCOPY --from=ubuntu:24.04 /usr /usr\n`,
      errors: [{line: 2}],
    },
    {
      ...OLD,
      name: 'image-mirror skipped by # check=skip=: the rewritten lines are not mirrored either',
      code: `# check=skip=ImageMirror\nFROM scratch\nCOPY --from=ubuntu:24.04 --exclude=opt / /\n`,
      config: {mirrors: MIRRORS},
      alongside: [imageMirror],
      listings: {'ubuntu:24.04': base},
      output: `# check=skip=ImageMirror\nFROM scratch\nCOPY --from=ubuntu:24.04 /bin /bin\nCOPY --from=ubuntu:24.04 /etc /etc\nCOPY --from=ubuntu:24.04 /usr /usr\n`,
      errors: [{line: 3}],
    },
    {
      ...OLD,
      name: 'with image-mirror, unsure: the suggestion is the lines as written, for the file (the build mirrors them)',
      code: `FROM scratch\nCOPY --from=ubuntu:24.04 --exclude=opt / /\n`,
      config: {mirrors: MIRRORS},
      alongside: [imageMirror],
      listings: {'ubuntu:24.04': [...base, symlink('lib', 'usr/lib')]},
      output: `FROM scratch\nCOPY --from=${MIRRORED} --exclude=opt / /\n`,
      errors: [
        {
          message: /no \/bin\/cp/,
          suggestion: 'COPY --from=ubuntu:24.04 /bin /bin\nCOPY --from=ubuntu:24.04 /etc /etc\nCOPY --from=ubuntu:24.04 /usr /usr',
        },
      ],
    },
  ],
})

t.test("frontendHasExclude: labs from 1.7, stable from 1.19, floating tags are today's", async (t) => {
  const table: [string, boolean | undefined][] = [
    ['docker/dockerfile:1.7-labs', true],
    ['docker/dockerfile:1.6-labs', false],
    ['docker/dockerfile:1.18', false],
    ['docker/dockerfile:1.19', true],
    ['docker/dockerfile:1.19.0', true],
    ['docker/dockerfile:1', true],
    ['docker/dockerfile', true],
    ['docker.io/docker/dockerfile:1.4@sha256:abc', false],
    ['registry.example.com/mirror/dockerfile:1.7-labs', true],
    ['docker/dockerfile-upstream:master-labs', true],
    ['example.com/custom-frontend:1', undefined],
    ['docker/dockerfile@sha256:abc', undefined],
  ]
  for (const [syntax, expected] of table) t.equal(frontendHasExclude(syntax), expected, syntax)
  t.type(excludeSupport, 'function')
})
