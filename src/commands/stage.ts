import {BaseCommand} from '../cli/base-command.js'

export default class Stage extends BaseCommand {
  static override summary = 'Stage a permission-normalized copy of a build context and print its directory.'
  static override description = `Copies exactly the paths BuildKit would send for CONTEXT (honouring .dockerignore and <Dockerfile>.dockerignore) into a stable directory, with files 0644 (0755 when owner-executable), directories 0755, symlinks kept as symlinks and setuid/setgid/sticky bits and user.* xattrs dropped. The stage is synced: unchanged files are not rewritten and mtimes are kept, so BuildKit uploads only what changed.`
  static override examples = ['<%= config.bin %> stage .', '<%= config.bin %> stage app -f app/Dockerfile --json', '<%= config.bin %> stage . --out /tmp/ctx']
  static override strict = false

  async run(): Promise<void> {
    this.notImplemented(3)
  }
}
