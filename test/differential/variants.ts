import type {DiffCase} from './cases.js'

/**
 * Flags for a concurrent round of one case: each stage as --target, with and without a build
 * arg, at most `limit` of them. They replace the case's own --target and --build-arg.
 */
export function concurrentVariants(testCase: DiffCase, limit = 3): string[][] {
  const stages = testCase.dockerfile.map((line) => / AS (s\d+)$/.exec(line)?.[1]).filter((name): name is string => name !== undefined)
  const variants: string[][] = []
  for (const stage of stages.reverse()) {
    variants.push(['--target', stage])
    variants.push(['--target', stage, '--build-arg', 'U=root', '--build-arg', 'UID=1001'])
  }
  return variants.slice(0, limit)
}

/** The case's flags without --target and --build-arg (a variant brings its own). */
export function withoutVariantFlags(args: string[]): string[] {
  const kept: string[] = []
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--target' || args[i] === '--build-arg') i++
    else kept.push(args[i] as string)
  }
  return kept
}
