import {Args} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {normalizeWorkTree} from '../stage/normalize.js'

export default class Normalize extends BaseCommand {
  static override summary = 'Set a git work tree\'s file modes in place to the canonical modes from git\'s index.'
  static override description = `Tracked files recorded as 100755 become 0755, every other tracked file 0644, and the directories that hold them 0755 (setuid, setgid and sticky bits cleared). Symlinks and submodules are left alone. \`dbuild setup\` runs it once so that even a plain \`docker build\` gets consistent checksums; the git hooks keep modes canonical after each checkout with their own POSIX sh, without running dbuild.`
  static override examples = ['<%= config.bin %> normalize', '<%= config.bin %> normalize path/to/repo --json']
  static override enableJsonFlag = true
  static override args = {
    path: Args.string({description: 'Directory inside a git work tree; its tracked files are normalized.', default: '.'}),
  }

  async run(): Promise<{files: number; changed: number}> {
    const {args} = await this.parse(Normalize)
    const result = await normalizeWorkTree(args.path)
    this.log(`${result.changed} path(s) changed; ${result.files} tracked file(s) checked`)
    return result
  }
}
