import {Args, Flags} from '@oclif/core'

import stage, {type StageReport} from '../actions/stage.js'
import {BaseCommand} from '../cli/base-command.js'
import {commandIo} from '../actions/command-io.js'

export default class Stage extends BaseCommand {
  static override summary = 'Stage a permission-normalized copy of a build context and print its directory.'
  static override description = `Copies exactly the paths BuildKit would send for CONTEXT (honouring .dockerignore and <Dockerfile>.dockerignore) into a stable directory, with files 0644 (0755 when owner-executable), directories 0755, symlinks kept as symlinks, FIFOs as FIFOs, sockets as empty files (as BuildKit sends them), names byte for byte, and setuid/setgid/sticky bits and user.* xattrs dropped. Devices are skipped with a warning. A stage being synced never changes a file in place, so builds still reading it get whole files. The stage is synced: unchanged files are not rewritten, removed files are removed and mtimes are kept, so BuildKit uploads only what changed.

The stage lives under $DBUILD_CACHE_DIR, $XDG_CACHE_HOME/dbuild or ~/.cache/dbuild, one directory per context. That stage is dbuild's own: it keeps a record of what it wrote there and looks at those files again only when the context's copy changes or their stage directory gains or loses entries, so a file edited there by hand stays edited (delete the directory to start over). --out picks a directory instead (new, empty, or staged before), and every path in it is checked each time.

The context digest (\`digest\` in --json) is one sha256 over every staged path: its path, type, canonical mode, size, content sha256 and link target. It is the same for one commit on every machine and changes with any byte, mode, name or link BuildKit would be sent; content is read again only for files whose size or mtime changed. --manifest FILE writes every entry behind it, one JSON line each after a header with the Dockerfile, the .dockerignore and the build inputs given here, for \`dbuild explain --against FILE\`.`
  static override examples = ['<%= config.bin %> stage .', '<%= config.bin %> stage app -f app/Dockerfile --json', '<%= config.bin %> stage . --out /tmp/ctx', '<%= config.bin %> stage . --manifest context-manifest.jsonl']
  static override enableJsonFlag = true
  static override args = {
    context: Args.string({description: 'Build context directory.', default: '.'}),
  }
  static override flags = {
    file: Flags.string({char: 'f', description: 'Dockerfile; its <Dockerfile>.dockerignore wins over the context\'s .dockerignore.'}),
    out: Flags.string({description: 'Stage into this directory instead of the per-context cache directory.'}),
    manifest: Flags.string({description: 'Write the entries behind the digest and the build inputs to this file, for dbuild explain.'}),
    'build-arg': Flags.string({description: 'Record a build arg (NAME=VALUE, repeatable; kept as a hash) in the manifest.', multiple: true, dependsOn: ['manifest']}),
    platform: Flags.string({description: 'Record the build\'s platform in the manifest.', dependsOn: ['manifest']}),
    target: Flags.string({description: 'Record the build\'s target stage in the manifest.', dependsOn: ['manifest']}),
  }

  async run(): Promise<StageReport> {
    const {args, argv, flags} = await this.parse(Stage)
    return (await stage({args, argv: argv as string[], flags}, commandIo(this.jsonEnabled()))) as StageReport
  }
}
