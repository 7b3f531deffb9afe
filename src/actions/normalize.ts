/** `dbuild normalize`: a git work tree's modes, set in place from git's index. */
import type {CommandAction} from './command-io.js'
import {normalizeWorkTree} from '../stage/normalize.js'

const normalize: CommandAction = async ({args}, io): Promise<{files: number; changed: number}> => {
  const result = await normalizeWorkTree(args.path ?? '.')
  io.log(`${result.changed} path(s) changed; ${result.files} tracked file(s) checked`)
  return result
}

export default normalize
