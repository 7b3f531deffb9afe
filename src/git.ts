import {execa} from 'execa'

/** Runs git in `cwd` and returns trimmed stdout, or undefined when git fails (not a repo, no git). */
export async function gitOutput(cwd: string, args: string[]): Promise<string | undefined> {
  const result = await execa('git', args, {cwd, reject: false, stripFinalNewline: true})
  return result.exitCode === 0 ? result.stdout : undefined
}

/** The work tree's top directory, or undefined outside a git work tree. */
export async function gitRoot(cwd: string): Promise<string | undefined> {
  return gitOutput(cwd, ['rev-parse', '--show-toplevel'])
}
