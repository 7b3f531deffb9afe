/** The lowest finding severity that makes `dbuild lint` exit 1 (none: never), as hadolint's --failure-threshold. */
export type FailureThreshold = 'error' | 'warning' | 'info' | 'none'
/** Kept apart from config.ts so that the command table (read on every start) does not load the config parser. */
export const FAILURE_THRESHOLDS: readonly FailureThreshold[] = ['error', 'warning', 'info', 'none']
