/**
 * Runs the built dbuild on a real pseudo-terminal of a chosen size, through python3's pty module
 * (a pty with 0 columns is what `script -qec`, `docker exec -t` without a size and some CI runners give).
 */
import path from 'node:path'

import {execa} from 'execa'

import {ROOT} from '../engine/index.js'

const BIN = path.join(ROOT, 'bin', 'run.js')

/** Forks on a pty, sets its size before the child runs, copies everything the child writes, kills it after `seconds`. */
const PTY_SCRIPT = String.raw`
import fcntl, os, pty, select, struct, sys, termios, time
cols, rows, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
master, slave = pty.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
pid = os.fork()
if pid == 0:
    os.setsid()
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    for fd in (0, 1, 2):
        os.dup2(slave, fd)
    os.close(master)
    os.execvp(sys.argv[4], sys.argv[4:])
os.close(slave)
out = bytearray()
deadline = time.time() + seconds
status = None
while time.time() < deadline and len(out) < 10_000_000:
    ready, _, _ = select.select([master], [], [], 0.2)
    if ready:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            chunk = b''
        if chunk:
            out += chunk
            continue
    done, code = os.waitpid(pid, os.WNOHANG)
    if done:
        status = code
        break
if status is None:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
sys.stderr.write('timeout' if status is None else str(os.waitstatus_to_exitcode(status)))
`

export interface PtyRun {
  /** Everything written to the terminal (stdout and stderr together), CRLF as the pty gives it. */
  output: string
  /** The exit code, or undefined when it was still running after `seconds` and was killed. */
  exitCode?: number
  seconds: number
}

export async function dbuildOnPty(
  args: string[],
  options: {columns: number; rows?: number; seconds?: number; cwd?: string; env?: NodeJS.ProcessEnv},
): Promise<PtyRun> {
  const started = Date.now()
  const result = await execa(
    'python3',
    ['-c', PTY_SCRIPT, String(options.columns), String(options.rows ?? 24), String(options.seconds ?? 20), process.execPath, BIN, ...args],
    {
      cwd: options.cwd,
      env: options.env ?? process.env,
      extendEnv: false,
      reject: false,
      stripFinalNewline: false,
    },
  )
  const status = result.stderr.trim().split('\n').at(-1) ?? ''
  return {output: result.stdout, ...(/^-?\d+$/.test(status) ? {exitCode: Number(status)} : {}), seconds: (Date.now() - started) / 1000}
}

/** process.env for a terminal user: no CI variable (which alone turns the spinner off), a real TERM. */
export function terminalEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {...process.env, TERM: 'xterm-256color', ...extra}
  delete env.CI
  delete env.NO_COLOR
  delete env.FORCE_COLOR
  return env
}
