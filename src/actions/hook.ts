/** `dbuild hook install`, `hook status` and `hook uninstall`: the git hooks that keep modes canonical. */
import type {CommandAction} from './command-io.js'
import {
  COVERAGE,
  formatCoverage,
  formatHookReports,
  type HookChange,
  type HookReport,
  type HooksLocation,
  hookStatus,
  installHooks,
  locateHooks,
  uninstallHooks,
} from '../hook/index.js'

export const install: CommandAction<{shared?: boolean}> = async ({flags}, io): Promise<{location: HooksLocation; hooks: HookChange[]}> => {
  const location = await locateHooks(process.cwd())
  const hooks = installHooks(location, {shared: flags.shared})
  io.log(formatHookReports(location, hooks))
  return {location, hooks}
}

export const status: CommandAction = async (
  _parsed,
  io,
): Promise<{location: HooksLocation; hooks: HookReport[]; coverage: typeof COVERAGE}> => {
  const location = await locateHooks(process.cwd())
  const hooks = hookStatus(location)
  io.log(formatHookReports(location, hooks))
  io.log(formatCoverage())
  return {location, hooks, coverage: COVERAGE}
}

export const uninstall: CommandAction = async (_parsed, io): Promise<{location: HooksLocation; hooks: HookChange[]}> => {
  const location = await locateHooks(process.cwd())
  const hooks = uninstallHooks(location)
  io.log(formatHookReports(location, hooks))
  return {location, hooks}
}
