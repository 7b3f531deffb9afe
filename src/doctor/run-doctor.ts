/** doctor as one call: every probe gathered, every check run, and the report the command prints. */
import {type Check, type ImageStore, imageStoreOf, runChecks} from './checks.js'
import {gatherProbes, type ProbeOptions} from './probes.js'

export interface DoctorReport {
  /** False when a check failed. */
  ok: boolean
  /** The daemon's image store, or null when it cannot be told. */
  imageStore: ImageStore | null
  /** The builder's BuildKit version, or null when unknown (Docker's built-in BuildKit reports none). */
  buildkitVersion: string | null
  checks: Check[]
}

/** Runs every probe and check. */
export async function runDoctor(options: ProbeOptions): Promise<DoctorReport> {
  const probes = await gatherProbes(options)
  const checks = runChecks(probes)
  return {
    ok: checks.every((check) => check.status !== 'fail'),
    imageStore: imageStoreOf(probes.daemon, probes.builder) ?? null,
    buildkitVersion: probes.builder.buildkitVersion ?? null,
    checks,
  }
}
