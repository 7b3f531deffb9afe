import {createInterface} from 'node:readline/promises'

import {Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {colorEnabled} from '../terminal.js'
import {pluginTarget} from '../docker-plugin/index.js'
import {formatChecks} from '../doctor/index.js'
import {ExitCode} from '../exit-codes.js'
import {formatHookReports} from '../hook/index.js'
import {configNotesFor} from '../pipeline/inputs.js'
import {runSetup, type SetupReport} from '../setup/index.js'

async function ask(question: string): Promise<string> {
  const readline = createInterface({input: process.stdin, output: process.stderr})
  try {
    return await readline.question(question)
  } finally {
    readline.close()
  }
}

export default class Setup extends BaseCommand {
  static override summary = 'Onboard this checkout: create .dbuild.json, install the hooks, normalize modes, run doctor.'
  static override description = `The one command a new developer runs. In order: creates .dbuild.json at the git root if missing (adding --cache-from specs it lacks otherwise), installs the git hooks, normalizes the work tree's modes, runs doctor and prints the next steps. It is idempotent and asks nothing when not on a TTY or with --yes. Exits 1 when a doctor check failed.`
  static override examples = ['<%= config.bin %> setup', '<%= config.bin %> setup --yes --cache-from type=registry,ref=registry.example.com/app:cache']
  static override enableJsonFlag = true
  static override flags = {
    'cache-from': Flags.string({description: 'buildx --cache-from spec for .dbuild.json (repeatable)', multiple: true}),
    yes: Flags.boolean({char: 'y', description: 'ask nothing; take the defaults'}),
    builder: Flags.string({description: 'buildx builder for the doctor checks (default: BUILDX_BUILDER or the current builder)'}),
  }

  async run(): Promise<SetupReport> {
    const {flags} = await this.parse(Setup)
    const interactive = !flags.yes && !this.jsonEnabled() && process.stdin.isTTY === true && process.stderr.isTTY === true
    const report = await runSetup({
      cwd: process.cwd(),
      cacheFrom: flags['cache-from'],
      ask: interactive ? ask : undefined,
      builder: flags.builder,
      dockerPlugin: pluginTarget(this.config.root, this.config.version),
      yes: flags.yes,
    })
    // the config a build from here uses now, as build, lint and rewrite say it (after step 1 created or kept one)
    for (const line of await configNotesFor(process.cwd(), process.cwd(), process.env)) process.stderr.write(`${line}\n`)
    this.log(`1. ${report.config.path}: ${report.config.action}${report.config.error ? ` (${report.config.error})` : ''}`)
    this.log(`2. ${formatHookReports(report.hooks.location, report.hooks.hooks)}`)
    this.log(`3. normalized: ${report.normalized.changed} path(s) changed; ${report.normalized.files} tracked file(s) checked`)
    this.log(`4. doctor:\n${formatChecks(report.doctor.checks, {color: colorEnabled(process.stdout)})}`)
    if (report.dockerPlugin) this.log(`   docker plugin: ${report.dockerPlugin.action} (${report.dockerPlugin.path})`)
    this.log(`5. next steps:\n${report.nextSteps.map((step) => `   - ${step}`).join('\n')}`)
    if (!report.doctor.ok) process.exitCode = ExitCode.FINDINGS
    return report
  }
}
