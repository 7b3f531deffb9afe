import {Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {colorEnabled} from '../terminal.js'
import {type DoctorReport, formatChecks, runDoctor} from '../doctor/index.js'
import {ExitCode} from '../exit-codes.js'

export default class Doctor extends BaseCommand {
  static override summary = 'Check this machine: docker, buildx, the builder, the image store, umask, hook and config.'
  static override description = `Each check says pass, warn or fail and gives the fix. Reports whether the daemon uses the containerd image store (imageStore in --json), where COPY --link --chown=name fails with "invalid user index: -1", and the BuildKit version where known. docker is asked through DOCKER_HOST / DOCKER_CONTEXT / BUILDX_BUILDER as set. Exits 0 when nothing failed, 1 when a check failed.`
  static override examples = ['<%= config.bin %> doctor', '<%= config.bin %> doctor --json', '<%= config.bin %> doctor --builder mybuilder']
  static override enableJsonFlag = true
  static override flags = {
    builder: Flags.string({description: 'buildx builder to inspect (default: BUILDX_BUILDER or the current builder)'}),
  }

  async run(): Promise<DoctorReport> {
    const {flags} = await this.parse(Doctor)
    const report = await runDoctor({cwd: process.cwd(), builder: flags.builder})
    this.log(formatChecks(report.checks, {color: colorEnabled(process.stdout)}))
    // set rather than this.exit(), so that --json still prints the report
    if (!report.ok) process.exitCode = ExitCode.FINDINGS
    return report
  }
}
