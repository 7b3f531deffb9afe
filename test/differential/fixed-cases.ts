/**
 * Cases kept so they are built on every run: failures the differential tester found, reduced, and
 * the known defect classes in their smallest form. Each names where it came from and what it covers.
 */
import {LOCAL_BASE_IMAGE} from '../engine/engine.js'
import type {DiffCase} from './cases.js'

export const FIXED_CASES: DiffCase[] = [
  {
    // seed 3, case 0, reduced: a file and its hard link in two directories
    id: 'hard links (3:0)',
    context: [
      {kind: 'dir', path: '-dash', mode: 0o775, mtime: '1500000000.123456789'},
      {kind: 'file', path: '-dash/keep.txt', content: 'kept\n', mode: 0o664, mtime: '1500000001.5'},
      {kind: 'dir', path: 'bin', mode: 0o700, mtime: '1500000002.0'},
      {kind: 'hardlink', path: 'bin/with space', target: '-dash/keep.txt'},
    ],
    dockerfile: ['FROM scratch AS s0', 'COPY --link . /app/'],
    args: [],
    classes: ['hardlink', 'link'],
  },
  {
    // --chown=name: (the group left empty: the containerd store's BuildKit rejects it) and uid:gid from build args
    id: 'chown spellings',
    context: [{kind: 'file', path: 'a.txt', content: 'a\n', mode: 0o600, mtime: '1600000000.000000001'}],
    dockerfile: [
      `FROM ${LOCAL_BASE_IMAGE} AS s0`,
      'ARG U=app',
      'ARG UID=1000',
      'ARG GID=1000',
      'COPY --chown=app: a.txt /name-colon/',
      'COPY --link --chown=app a.txt /link-name/',
      'COPY --chown=$UID:$GID a.txt /ids/',
    ],
    args: ['--build-arg', 'UID=1001'],
    classes: ['build-arg', 'chown', 'chown-name-colon', 'link'],
  },
  {
    // quotes, a newline and bytes that are not UTF-8 in names, below a directory a COPY names
    id: 'names',
    context: [
      {kind: 'dir', path: 'q', mode: 0o755, mtime: '1600000000.0'},
      {kind: 'file', path: "q/it's", content: 'q\n', mode: 0o644, mtime: '1600000001.0'},
      {kind: 'file', path: 'q/d"q', content: 'q\n', mode: 0o644, mtime: '1600000001.0'},
      {kind: 'file', path: 'q/new\nline', content: 'n\n', mode: 0o755, mtime: '1600000002.0'},
      {kind: 'file', path: 'q/caf\xe9', content: 'c\n', mode: 0o644, mtime: '1600000003.0'},
      {kind: 'symlink', path: 'q/-n', target: '../../outside', mtime: '1600000004.0'},
    ],
    // BuildKit expands quotes in every COPY operand, the JSON form's too: a name with a quote can only be copied inside a directory
    dockerfile: ['FROM scratch AS s0', 'COPY q /q/', 'COPY . /all/'],
    args: [],
    classes: ['quote-name', 'raw-name', 'symlink'],
  },
]
