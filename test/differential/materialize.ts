/**
 * Writes a case's context to disk exactly: names byte for byte, modes as given (no umask), FIFOs,
 * devices, sparse files, and mtimes to the nanosecond.
 *
 * Node's utimes takes a double (about a microsecond at today's epoch) and has neither mkfifo nor
 * mknod, so those three go through one python3 call that takes the byte names as hex.
 */
import {chmodSync, closeSync, linkSync, mkdirSync, openSync, symlinkSync, writeFileSync, writeSync, ftruncateSync} from 'node:fs'
import {spawnSync} from 'node:child_process'

import type {ContextNode} from './cases.js'

const PYTHON = `
import json, os, stat, sys
for op in json.load(sys.stdin):
    path = bytes.fromhex(op["path"])
    if op["op"] == "fifo":
        os.mkfifo(path)
    elif op["op"] == "device":
        os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(op["major"], op["minor"]))
    elif op["op"] == "chmod":
        os.chmod(path, op["mode"])
    elif op["op"] == "utime":
        ns = int(op["ns"])
        os.utime(path, ns=(ns, ns), follow_symlinks=False)
`

type Op = {op: 'fifo' | 'device' | 'chmod' | 'utime'; path: string; mode?: number; major?: number; minor?: number; ns?: string}

function python(ops: Op[]): void {
  if (ops.length === 0) return
  const run = spawnSync('python3', ['-c', PYTHON], {input: JSON.stringify(ops), encoding: 'utf8'})
  if (run.status !== 0) throw new Error(`python3 (mkfifo/mknod/utime) failed: ${run.stderr || run.error?.message}`)
}

/** `seconds.nanoseconds` → integer nanoseconds, as a decimal string. */
const nanoseconds = (time: string): string => {
  const [seconds = '0', fraction = ''] = time.split('.')
  return (BigInt(seconds) * 1_000_000_000n + BigInt(fraction.padEnd(9, '0').slice(0, 9))).toString()
}

const bytesOf = (root: string, rel: string): Buffer => Buffer.concat([Buffer.from(`${root}/`), Buffer.from(rel, 'latin1')])

/** Writes `nodes` below `root` (which may exist). Parents come before children in `nodes`. */
export function materialize(root: string, nodes: ContextNode[]): void {
  mkdirSync(root, {recursive: true})
  const late: Op[] = []
  const times: Op[] = []
  for (const node of nodes) {
    const at = bytesOf(root, node.path)
    const hex = at.toString('hex')
    // a reduced case may have lost a parent directory's own entry
    if (node.path.includes('/')) mkdirSync(bytesOf(root, node.path.slice(0, node.path.lastIndexOf('/'))), {recursive: true})
    switch (node.kind) {
      case 'dir':
        mkdirSync(at, {recursive: true})
        late.push({op: 'chmod', path: hex, mode: node.mode})
        break
      case 'file':
        writeFileSync(at, Buffer.from(node.content, 'latin1'))
        chmodSync(at, node.mode)
        break
      case 'sparse': {
        const fd = openSync(at, 'w')
        try {
          for (const chunk of node.chunks) writeSync(fd, Buffer.from(chunk.content, 'latin1'), 0, chunk.content.length, chunk.offset)
          ftruncateSync(fd, node.size)
        } finally {
          closeSync(fd)
        }
        chmodSync(at, node.mode)
        break
      }
      case 'symlink':
        symlinkSync(Buffer.from(node.target, 'latin1'), at)
        break
      case 'hardlink':
        linkSync(bytesOf(root, node.target), at)
        break
      case 'fifo':
        python([{op: 'fifo', path: hex}])
        chmodSync(at, node.mode)
        break
      case 'device':
        python([{op: 'device', path: hex, major: node.major, minor: node.minor}])
        chmodSync(at, node.mode)
        break
    }
    if ('mtime' in node) times.push({op: 'utime', path: hex, ns: nanoseconds(node.mtime)})
  }
  // Children's times first, then directories' (creating a child changes its parent's mtime); a
  // directory's mode last, so a read-only one could still be filled.
  python([...times.reverse(), ...late.reverse()])
}

/** Writes edits over an existing context in place (same inodes), with their modes and mtimes. */
export function applyEdits(root: string, edits: ContextNode[]): void {
  const times: Op[] = []
  for (const node of edits) {
    if (node.kind !== 'file') continue
    const at = bytesOf(root, node.path)
    writeFileSync(at, Buffer.from(node.content, 'latin1'))
    chmodSync(at, node.mode)
    times.push({op: 'utime', path: at.toString('hex'), ns: nanoseconds(node.mtime)})
  }
  python(times)
}
