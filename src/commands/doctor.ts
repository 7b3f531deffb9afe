import {BaseCommand} from '../cli/base-command.js'

export default class Doctor extends BaseCommand {
  static override summary = 'Check this machine: docker, buildx, the builder, the image store, umask, hook and config.'
  static override description = `Each check says pass, warn or fail and gives the fix. Reports whether the builder uses the containerd image store, where COPY --link --chown=name fails with "invalid user index: -1". Exits 0 when nothing failed.`
  static override examples = ['<%= config.bin %> doctor', '<%= config.bin %> doctor --json']
  static override strict = false

  async run(): Promise<void> {
    this.notImplemented(6)
  }
}
