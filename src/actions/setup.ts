/** `dbuild setup`: the onboarding steps in order (config, hooks, modes, doctor), then the next steps. */
import {createInterface} from 'node:readline/promises'

import type {CommandAction} from './command-io.js'
import {pluginTarget} from '../docker-plugin/index.js'
import {formatChecks} from '../doctor/index.js'
import {ExitCode} from '../exit-codes.js'
import {writeLine} from '../printable.js'
import {formatHookReports} from '../hook/index.js'
import {configNotesFor} from '../pipeline/inputs.js'
import {runSetup, type SetupReport} from '../setup/index.js'
import {colorEnabled} from '../terminal.js'

async function ask(question: string): Promise<string> {
  const readline = createInterface({input: process.stdin, output: process.stderr})
  try {
    return await readline.question(question)
  } finally {
    readline.close()
  }
}

export interface SetupFlags {
  'cache-from'?: string[]
  yes?: boolean
  builder?: string
}

const setup: CommandAction<SetupFlags> = async ({flags}, io): Promise<SetupReport> => {
  const interactive = !flags.yes && !io.json && process.stdin.isTTY === true && process.stderr.isTTY === true
  const {root, version} = io.installation()
  const report = await runSetup({
    cwd: process.cwd(),
    cacheFrom: flags['cache-from'],
    ask: interactive ? ask : undefined,
    builder: flags.builder,
    dockerPlugin: pluginTarget(root, version),
    yes: flags.yes,
  })
  // the config a build from here uses now, as build, lint and rewrite say it (after step 1 created or kept one)
  for (const line of await configNotesFor(process.cwd(), process.cwd(), process.env)) writeLine(process.stderr, line)
  io.log(`1. ${report.config.path}: ${report.config.action}${report.config.error ? ` (${report.config.error})` : ''}`)
  io.log(`2. ${formatHookReports(report.hooks.location, report.hooks.hooks)}`)
  io.log(`3. normalized: ${report.normalized.changed} path(s) changed; ${report.normalized.files} tracked file(s) checked`)
  io.log(`4. doctor:\n${formatChecks(report.doctor.checks, {color: colorEnabled(process.stdout)})}`, {painted: true})
  if (report.dockerPlugin) io.log(`   docker plugin: ${report.dockerPlugin.action} (${report.dockerPlugin.path})`)
  io.log(`5. next steps:\n${report.nextSteps.map((step) => `   - ${step}`).join('\n')}`)
  if (!report.doctor.ok) process.exitCode = ExitCode.FINDINGS
  return report
}

export default setup
