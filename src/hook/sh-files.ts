/**
 * The hook's sh, kept as real .sh files in src/hook/sh/ (so shells, shellcheck and readers see sh,
 * not escaped template literals) and copied by the build to dist/src/hook/sh/. A piece is read once,
 * when a hook is first rendered, and filled in by name: `@name@` placeholders (autoconf's
 * spelling, which sh and shellcheck read as a plain word), nothing else.
 */
import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

/**
 * The directory of the .sh files. Found from the package root rather than beside this module,
 * because the build also bundles this module into dist/src/main.bundle.js and dist/src/chunks/:
 * run from dist/ (tsc's output or the bundle) it is dist/src/hook/sh, run from source src/hook/sh.
 */
function shDir(): string {
  const here = fileURLToPath(import.meta.url)
  let root = path.dirname(here)
  while (!existsSync(path.join(root, 'package.json')) && path.dirname(root) !== root) root = path.dirname(root)
  const fromDist = here.startsWith(path.join(root, 'dist') + path.sep)
  return path.join(root, ...(fromDist ? ['dist'] : []), 'src', 'hook', 'sh')
}

const texts = new Map<string, string>()

/** The text of one file in the sh directory, without the final newline every file ends with. */
export function shFile(name: string): string {
  let text = texts.get(name)
  if (text === undefined) {
    text = readFileSync(path.join(shDir(), name), 'utf8').replace(/\n$/, '')
    texts.set(name, text)
  }
  return text
}

/**
 * `template` with each `@name@` replaced by `values[name]`, in one pass: a value is never read for
 * placeholders. A line that holds only a placeholder whose value is empty goes away with its newline,
 * so an optional piece leaves no blank line.
 */
export function fillSh(template: string, values: Readonly<Record<string, string>>): string {
  const lines = template.split('\n').filter((line) => {
    const alone = /^@([a-z_]+)@$/.exec(line)
    return !(alone && values[alone[1] as string] === '')
  })
  return lines.join('\n').replace(/@([a-z_]+)@/g, (_whole, name: string) => {
    const value = values[name]
    if (value === undefined) throw new Error(`hook sh: no value for @${name}@`)
    return value
  })
}
