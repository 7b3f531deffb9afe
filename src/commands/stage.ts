import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {stageProgressText, startProgress} from '../cli/progress.js'
import {resolveInputs} from '../pipeline/inputs.js'
import {stageContext, type StageResult} from '../stage/index.js'

export default class Stage extends BaseCommand {
  static override summary = 'Stage a permission-normalized copy of a build context and print its directory.'
  static override description = `Copies exactly the paths BuildKit would send for CONTEXT (honouring .dockerignore and <Dockerfile>.dockerignore) into a stable directory, with files 0644 (0755 when owner-executable), directories 0755, symlinks kept as symlinks and setuid/setgid/sticky bits and user.* xattrs dropped. Sockets, FIFOs and devices are skipped with a warning. The stage is synced: unchanged files are not rewritten, removed files are removed and mtimes are kept, so BuildKit uploads only what changed.

The stage lives under $DBUILD_CACHE_DIR, $XDG_CACHE_HOME/dbuild or ~/.cache/dbuild, one directory per context. That stage is dbuild's own: it keeps a record of what it wrote there and looks at those files again only when the context's copy changes or their stage directory gains or loses entries, so a file edited there by hand stays edited (delete the directory to start over). --out picks a directory instead (new, empty, or staged before), and every path in it is checked each time.`
  static override examples = ['<%= config.bin %> stage .', '<%= config.bin %> stage app -f app/Dockerfile --json', '<%= config.bin %> stage . --out /tmp/ctx']
  static override enableJsonFlag = true
  static override args = {
    context: Args.string({description: 'Build context directory.', default: '.'}),
  }
  static override flags = {
    file: Flags.string({char: 'f', description: 'Dockerfile; its <Dockerfile>.dockerignore wins over the context\'s .dockerignore.'}),
    out: Flags.string({description: 'Stage into this directory instead of the per-context cache directory.'}),
  }

  async run(): Promise<Omit<StageResult, 'root'>> {
    const {args, flags} = await this.parse(Stage)
    const inputs = resolveInputs({context: args.context, ...(flags.file === undefined ? {} : {dockerfile: flags.file}), localOnly: true, needsDockerfile: false})
    const progress = startProgress(`Staging ${args.context}`, {enabled: !this.jsonEnabled()})
    const started = Date.now()
    let result: StageResult
    try {
      result = await stageContext({
        context: inputs.contextDir as string,
        // only a Dockerfile given with -f picks its own ignore file
        dockerfile: flags.file === undefined ? undefined : inputs.dockerfile,
        env: inputs.env,
        out: flags.out,
        onWarning: (message) => {
          progress.stop()
          this.warn(message)
        },
        onProgress: (written, total) => progress.update(stageProgressText(args.context, written, total, Date.now() - started)),
      })
    } catch (error) {
      progress.fail()
      throw error
    }
    progress.stop()
    this.log(result.dir)
    const {dir, files, bytes, changed, removed, skipped} = result
    return {dir, files, bytes, changed, removed, skipped}
  }
}
