/** `dbuild doctor`: this machine's checks, each with its fix. */
import type {CommandAction} from './command-io.js'
import {type DoctorReport, formatChecks, runDoctor} from '../doctor/index.js'
import {ExitCode} from '../exit-codes.js'
import {colorEnabled} from '../terminal.js'
import {workingDirectory} from '../working-dir.js'

const doctor: CommandAction<{builder?: string}> = async ({flags}, io): Promise<DoctorReport> => {
  const report = await runDoctor({cwd: workingDirectory(), builder: flags.builder})
  io.log(formatChecks(report.checks, {color: colorEnabled(process.stdout)}), {painted: true})
  // set rather than thrown, so that --json still prints the report
  if (!report.ok) process.exitCode = ExitCode.FINDINGS
  return report
}

export default doctor
