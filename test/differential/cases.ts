/**
 * The seeded generator of differential cases: a build context (names, modes, links, FIFOs, sparse
 * files, mtimes to the nanosecond, a .dockerignore), a Dockerfile (COPY/ADD with every flag dbuild's
 * rules care about, stages, heredocs, build args, named contexts) and the buildx flags to build it.
 *
 * A case is plain data (JSON), so a failing one can be kept in fixed-cases.ts as it is. Names and
 * contents are byte strings: one latin1 char per byte, so a name that is not UTF-8 survives JSON.
 */
import {Prng} from './prng.js'

/** One path in a context. `path` and `content` are byte strings (latin1). Times are `seconds.nanoseconds`. */
export type ContextNode =
  | {kind: 'dir'; path: string; mode: number; mtime: string}
  | {kind: 'file'; path: string; content: string; mode: number; mtime: string}
  | {kind: 'sparse'; path: string; size: number; chunks: Array<{offset: number; content: string}>; mode: number; mtime: string}
  | {kind: 'symlink'; path: string; target: string; mtime: string}
  | {kind: 'hardlink'; path: string; target: string}
  | {kind: 'fifo'; path: string; mode: number; mtime: string}
  | {kind: 'device'; path: string; mode: number; major: number; minor: number}

export interface DiffCase {
  /** Where the case came from: `seed:index`, or a name for a fixed case. */
  id: string
  context: ContextNode[]
  /** Dockerfile instructions, one per item (a heredoc's body stays with its line); joined with newlines. */
  dockerfile: string[]
  /** buildx flags; `@name` in a --build-context value is replaced by the path of namedContexts[name]. */
  args: string[]
  namedContexts?: Record<string, ContextNode[]>
  /** Written over the context after a first pair of builds, then both build again on the same stage. */
  edits?: ContextNode[]
  /** Where the Dockerfile is, in the context (`-f` when not `Dockerfile`). */
  dockerfilePath?: string
  /** Feature classes the case exercises (see known-defects.ts). */
  classes: string[]
}

/** A JS string as its UTF-8 bytes, one latin1 char per byte. */
export const utf8 = (text: string): string => Buffer.from(text, 'utf8').toString('latin1')

/** Names at the top of a context: a Dockerfile can name each of them. */
const TOP_DIRS = ['src', 'lib', 'data', 'bin', 'with space', '-dash', 'café', 'd.d']
const TOP_FILES = ['a.txt', 'run.sh', 'with space.txt', '-dash.txt', 'café.txt', 'x.log', 'keep.log', 'README.md', 'e']
/** Names anywhere below them, including the ones no Dockerfile line can spell. */
const DEEP_NAMES = [
  'f',
  'g.txt',
  'main.c',
  'x.log',
  'keep.log',
  'b.tmp',
  'gen',
  'keep.txt',
  'drop.txt',
  'with space',
  ' lead',
  'trail ',
  '-n',
  '--',
  '#hash',
  '$dollar',
  'back\\slash',
  'semi;colon',
  'per%cent',
  'new\nline',
  'tab\tname',
  'star*',
  'q?',
  '[br]',
  '日本語',
  'emoji-😀',
  'ümlaut',
  'NFD-é',
  "q'uote",
  'd"quote',
]
/** Names that are not UTF-8. */
const RAW_NAMES = ['caf\xe9', '\xff\xfe', 'x\x80y', '\xc3(']
const QUOTES = /['"]/

const CHOWN_BASE = [
  'app',
  'app:app',
  'app:',
  '1000',
  '1000:1000',
  '1000:app',
  'app:1000',
  'root',
  '0:0',
  '65534:65534',
  '$U',
  '${U}:${G}',
  '$UID:$GID',
  '2147483648:2147483648',
  '4294967294',
]
const CHOWN_SCRATCH = ['1000:1000', '1234', '0:0', '2147483648', '5:4294967294', 'app']
const CHMODS = ['0755', '644', '0600', '4755', '0444', '2775']
const IGNORE_LINES = [
  '*.log',
  '!keep.log',
  '**/*.tmp',
  'data/**',
  '!data/keep*',
  '*.md',
  'src/**/gen',
  '**/x.log',
  'lib',
  '!lib/f',
  '# a comment',
  '/bin',
  './src/*.c',
  '!**/keep.txt',
  'café*',
  '**/with space',
  '-dash/**/*',
  'd.d/',
  '  a.txt  ',
  '**',
  '!src',
  '!Dockerfile*',
]

function mtime(r: Prng): string {
  return `${r.int(1_400_000_000, 1_700_000_000)}.${String(r.int(0, 999_999_999)).padStart(9, '0')}`
}

const UMASKS = [0o002, 0o022, 0o077, 0o027]

/** Modes as a checkout under `umask` makes them, sometimes an odd one. */
function fileMode(r: Prng, umask: number, exec: boolean): number {
  if (r.chance(0.08)) return r.pick([0o4755, 0o2755, 0o600, 0o444, 0o700, 0o640, 0o1644])
  return (exec ? 0o777 : 0o666) & ~umask
}

function dirMode(r: Prng, umask: number): number {
  if (r.chance(0.06)) return r.pick([0o700, 0o1777, 0o2755, 0o555])
  return 0o777 & ~umask
}

function content(r: Prng): string {
  if (r.chance(0.15)) return ''
  const words = ['alpha', 'beta', 'gamma', '\u00e9t\u00e9', '\x00', '\n', 'line\n', '#!/bin/sh\n', '\xff']
  let text = ''
  for (let i = r.int(1, 30); i > 0; i--) text += r.pick(words)
  return text
}

interface Tree {
  nodes: ContextNode[]
  files: string[]
  dirs: string[]
  classes: Set<string>
}

/** Adds a node unless its path is taken; says whether it did. */
function addNode(tree: Tree, node: ContextNode): boolean {
  if (tree.nodes.some((n) => n.path === node.path)) return false
  tree.nodes.push(node)
  if (node.kind === 'file' || node.kind === 'sparse') tree.files.push(node.path)
  if (node.kind === 'dir') tree.dirs.push(node.path)
  return true
}

/** A directory's contents, depth first, with a chance of every kind of entry. */
function fillDir(r: Prng, tree: Tree, dir: string, depth: number, umask: number): void {
  for (let i = r.int(0, depth === 0 ? 4 : 3); i > 0; i--) {
    const raw = r.chance(0.08)
    const name = raw ? r.pick(RAW_NAMES) : utf8(r.pick(DEEP_NAMES))
    if (QUOTES.test(name)) tree.classes.add('quote-name')
    if (raw) tree.classes.add('raw-name')
    const at = `${dir}/${name}`
    const roll = r.next()
    if (roll < 0.5) addNode(tree, {kind: 'file', path: at, content: content(r), mode: fileMode(r, umask, r.chance(0.25)), mtime: mtime(r)})
    else if (roll < 0.65 && depth < 3) {
      if (addNode(tree, {kind: 'dir', path: at, mode: dirMode(r, umask), mtime: mtime(r)})) fillDir(r, tree, at, depth + 1, umask)
    } else if (roll < 0.77) {
      const target = r.pick([
        'f',
        '../f',
        'nowhere',
        '/etc/passwd',
        '../../../../outside',
        '.',
        at.split('/').pop() ?? 'x',
        ...tree.files.slice(-2).map((f) => `/${f}`),
      ])
      addNode(tree, {kind: 'symlink', path: at, target, mtime: mtime(r)})
      tree.classes.add('symlink')
    } else if (roll < 0.85 && tree.files.length > 0) {
      addNode(tree, {kind: 'hardlink', path: at, target: r.pick(tree.files)})
      tree.classes.add('hardlink')
    } else if (roll < 0.9) {
      addNode(tree, {kind: 'fifo', path: at, mode: fileMode(r, umask, false), mtime: mtime(r)})
      tree.classes.add('fifo')
    } else if (roll < 0.95) {
      const size = r.int(1, 8) * 1024 * 1024
      const chunks = [{offset: r.int(0, size - 16), content: 'sparse data'}]
      if (r.chance(0.5)) chunks.push({offset: size - 4, content: 'end!'})
      addNode(tree, {kind: 'sparse', path: at, size, chunks, mode: fileMode(r, umask, false), mtime: mtime(r)})
      tree.classes.add('sparse')
    } else if (r.chance(0.3)) {
      addNode(tree, {kind: 'device', path: at, mode: 0o666 & ~umask, major: 1, minor: 3})
      tree.classes.add('device')
    } else addNode(tree, {kind: 'file', path: at, content: '', mode: fileMode(r, umask, false), mtime: mtime(r)})
  }
}

function makeContext(r: Prng, umask: number, classes: Set<string>): Tree {
  const tree: Tree = {nodes: [], files: [], dirs: [], classes}
  for (const name of TOP_DIRS) {
    if (!r.chance(0.35)) continue
    const at = utf8(name)
    if (addNode(tree, {kind: 'dir', path: at, mode: dirMode(r, umask), mtime: mtime(r)})) fillDir(r, tree, at, 0, umask)
  }
  for (const name of TOP_FILES) {
    if (!r.chance(0.35)) continue
    addNode(tree, {kind: 'file', path: utf8(name), content: content(r), mode: fileMode(r, umask, name.endsWith('.sh')), mtime: mtime(r)})
  }
  if (tree.files.length === 0)
    addNode(tree, {kind: 'file', path: 'a.txt', content: 'a\n', mode: fileMode(r, umask, false), mtime: mtime(r)})
  if (r.chance(0.1) && tree.dirs.length > 0) {
    addNode(tree, {kind: 'symlink', path: 'lnk', target: r.pick(tree.dirs.filter((d) => !d.includes('/'))), mtime: mtime(r)})
    tree.classes.add('symlink')
  }
  if (r.chance(0.1)) {
    addNode(tree, {kind: 'hardlink', path: 'hard-top', target: r.pick(tree.files)})
    tree.classes.add('hardlink')
  }
  return tree
}

/** A source a Dockerfile can name, quoted where the JSON form is needed. */
function topSources(tree: Tree): string[] {
  return tree.nodes.filter((n) => !n.path.includes('/') && n.kind !== 'fifo' && n.kind !== 'device').map((n) => n.path)
}

const needsJson = (name: string): boolean => /[\s"'\\]/.test(name) || name.startsWith('-')

/** `COPY flags src... dest` in the shell or the JSON form, as the names require. */
function copyLine(instruction: string, flags: string[], sources: string[], dest: string): string {
  const texts = sources.map((s) => Buffer.from(s, 'latin1').toString('utf8'))
  const json = texts.some(needsJson)
  const operands = json ? JSON.stringify([...texts, dest]) : [...texts, dest].join(' ')
  return [instruction, ...flags, operands].join(' ')
}

function chownFlag(r: Prng, scratch: boolean, classes: Set<string>): string {
  const spelling = r.pick(scratch ? CHOWN_SCRATCH : CHOWN_BASE)
  if (/^[a-z$][^:]*:$/.test(spelling)) classes.add('chown-name-colon')
  if (/\d{10}/.test(spelling)) classes.add('big-id')
  classes.add('chown')
  return `--chown=${spelling}`
}

/** Generates case `index` of `seed`: the same pair always gives the same case. */
export function generateCase(seed: number, index: number, baseImage: string): DiffCase {
  const r = new Prng(Prng.derive(seed, index))
  const classes = new Set<string>()
  const umask = r.pick(UMASKS)
  const tree = makeContext(r, umask, classes)
  const args: string[] = []
  const namedContexts: Record<string, ContextNode[]> = {}

  if (r.chance(0.3)) {
    const lines = IGNORE_LINES.filter(() => r.chance(0.3))
    if (lines.length > 0) {
      addNode(tree, {
        kind: 'file',
        path: '.dockerignore',
        content: `${lines.join('\n')}\n`,
        mode: fileMode(r, umask, false),
        mtime: mtime(r),
      })
      classes.add('dockerignore')
    }
  }

  const stageCount = r.int(1, 3)
  const dockerfile: string[] = []
  const stageHasApp: boolean[] = []
  for (let s = 0; s < stageCount; s++) {
    const scratch = r.chance(0.25)
    dockerfile.push(`FROM ${scratch ? 'scratch' : baseImage} AS s${s}`)
    if (r.chance(0.5)) {
      dockerfile.push('ARG U=app', 'ARG G=app', 'ARG UID=1000', 'ARG GID=1000')
    }
    if (r.chance(0.15)) dockerfile.push(`WORKDIR /w${s}`)
    let hasApp = false
    for (let l = r.int(1, 4); l > 0; l--) {
      const flags: string[] = []
      const roll = r.next()
      if (r.chance(0.35)) {
        flags.push('--link')
        classes.add('link')
      }
      if (r.chance(0.4)) flags.push(chownFlag(r, scratch, classes))
      if (r.chance(0.2)) {
        flags.push(`--chmod=${r.pick(CHMODS)}`)
        classes.add('chmod')
      }
      if (roll < 0.55) {
        const all = topSources(tree)
        const sources = r.chance(0.4) || all.length === 0 ? ['.'] : [...new Set([r.pick(all), ...(r.chance(0.3) ? [r.pick(all)] : [])])]
        // --exclude and --parents need a newer Dockerfile frontend than the floor engine's: rarely
        if (r.chance(0.02)) {
          flags.push(`--exclude=${r.pick(['*.log', 'src', '**/*.tmp', 'data/keep*'])}`)
          classes.add('exclude')
        }
        if (r.chance(0.015)) {
          flags.push('--parents')
          classes.add('parents')
        }
        const dest = r.pick(['/app/', '/app/', '/', '/out/sub/', 'rel/'])
        if (dest === '/app/') hasApp = true
        dockerfile.push(copyLine(r.chance(0.2) ? 'ADD' : 'COPY', flags, sources, dest))
      } else if (roll < 0.7) {
        const body = r.pick(['hello', 'user $U', 'literal \\$U'])
        const quoted = r.chance(0.5)
        dockerfile.push(`COPY ${flags.join(' ')} <<${quoted ? '"EOT"' : 'EOT'} /here-${l}.txt\n${body}\nEOT`.replace('  ', ' '))
        classes.add('heredoc')
      } else if (roll < 0.85 && s > 0) {
        const from = r.int(0, s - 1)
        const fromScratch = dockerfile.includes(`FROM scratch AS s${from}`)
        const source = stageHasApp[from] ? '/app' : fromScratch ? '/' : r.pick(['/', '/etc/passwd', '/etc/'])
        dockerfile.push(copyLine('COPY', [...flags, `--from=s${from}`], [source], `/from-s${from}/`))
        classes.add('from-stage')
      } else {
        if (!namedContexts.extra) {
          const named = makeContext(r, r.pick(UMASKS), classes)
          namedContexts.extra = named.nodes
          args.push('--build-context', 'extra=@extra')
        }
        dockerfile.push(copyLine('COPY', [...flags, '--from=extra'], ['.'], '/extra/'))
        classes.add('named-context')
      }
    }
    stageHasApp.push(hasApp)
  }
  if (stageCount > 1 && r.chance(0.4)) {
    args.push('--target', `s${r.int(0, stageCount - 1)}`)
    classes.add('target')
  }
  if (r.chance(0.3)) {
    args.push('--build-arg', r.pick(['U=root', 'UID=1001', 'G=root', 'GID=2147483649', 'U=nobody']))
    classes.add('build-arg')
  }
  // The Dockerfile elsewhere (-f), sometimes with its own ignore file, which takes .dockerignore's place
  const dockerfilePath = r.pick(['Dockerfile', 'Dockerfile', 'Dockerfile', 'build/Dockerfile', 'Dockerfile.custom'])
  if (dockerfilePath.startsWith('build/')) addNode(tree, {kind: 'dir', path: 'build', mode: dirMode(r, umask), mtime: mtime(r)})
  addNode(tree, {
    kind: 'file',
    path: dockerfilePath,
    content: utf8(`${dockerfile.join('\n')}\n`),
    mode: fileMode(r, umask, false),
    mtime: mtime(r),
  })
  if (dockerfilePath !== 'Dockerfile') {
    args.push('-f', dockerfilePath)
    classes.add('dockerfile-path')
    if (r.chance(0.5)) {
      const lines = IGNORE_LINES.filter(() => r.chance(0.3))
      addNode(tree, {
        kind: 'file',
        path: `${dockerfilePath}.dockerignore`,
        content: `${lines.join('\n')}\n`,
        mode: fileMode(r, umask, false),
        mtime: mtime(r),
      })
      classes.add('dockerfile-dockerignore')
    }
  }

  let edits: ContextNode[] | undefined
  if (r.chance(0.25)) {
    edits = []
    for (const node of tree.nodes) {
      if (node.kind !== 'file' || node.path === dockerfilePath || node.path.endsWith('.dockerignore') || !r.chance(0.5)) continue
      // The stale-stage class: same size, the mtime carried over; otherwise a plain edit
      const sameSize = r.chance(0.6)
      const changed = sameSize ? node.content.replace(/[ab]/g, (c) => (c === 'a' ? 'b' : 'a')) : `${node.content}edited\n`
      if (sameSize && changed === node.content) continue
      edits.push({...node, content: changed, mtime: sameSize ? node.mtime : mtime(r)})
      classes.add(sameSize ? 'stale-stage' : 'edit')
    }
    if (edits.length === 0) edits = undefined
  }

  const result: DiffCase = {id: `${seed}:${index}`, context: tree.nodes, dockerfile, args, classes: [...classes].sort()}
  if (dockerfilePath !== 'Dockerfile') result.dockerfilePath = dockerfilePath
  if (Object.keys(namedContexts).length > 0) result.namedContexts = namedContexts
  if (edits) result.edits = edits
  return result
}
