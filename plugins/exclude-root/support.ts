/** Whether a builder and a frontend need exclude-root's rewrite: the BuildKit fix and the frontends that have --exclude. */
import {atLeast, frontendOf, isFactError, parseVersion, type RuleContext, type Severity} from '../../src/rewrite/index.js'

/** The BuildKit release whose daemon copies a tree with broken symlinks under --exclude (moby/buildkit#6220) and whose built-in frontend is dockerfile 1.19. */
export const FIXED_BUILDKIT = [0, 25, 0] as const
export const FIX = 'moby/buildkit#6220, BuildKit v0.25.0'

/** Whether the rewrite is needed on this builder with this frontend, how sure dbuild is, and why. */
export interface ExcludeSupport {
  needed: boolean
  severity: Severity
  why: string
  /** What makes the line fail where it is needed: a frontend without --exclude, or a BuildKit before the symlink fix. */
  cause?: 'frontend' | 'buildkit'
}

/**
 * Whether the `# syntax=` frontend has --exclude: labs from dockerfile 1.7, stable from 1.19 (moby/buildkit#6232).
 * A floating tag (1, latest, labs) is today's release, which has it; anything else dbuild cannot tell.
 */
export function frontendHasExclude(syntax: string): boolean | undefined {
  const at = syntax.indexOf('@')
  const name = at === -1 ? syntax : syntax.slice(0, at)
  const colon = name.lastIndexOf(':')
  const repo = colon > name.lastIndexOf('/') ? name.slice(0, colon) : name
  // a digest without a tag pins a release dbuild cannot name
  if (colon <= name.lastIndexOf('/') && at !== -1) return undefined
  const tag = colon > name.lastIndexOf('/') ? name.slice(colon + 1) : 'latest'
  if (!/(^|\/)dockerfile(-upstream)?$/.test(repo)) return undefined
  if (['latest', 'labs', 'master', 'master-labs'].includes(tag)) return true
  const match = /^1(?:\.(\d+))?(?:\.\d+)?(-labs)?$/.exec(tag)
  if (!match) return undefined
  if (match[1] === undefined) return true
  return Number(match[1]) >= (match[2] ? 7 : 19)
}

/** Decides from the builder's BuildKit version and the frontend (BUILDKIT_SYNTAX, else `# syntax=`), saying which one decided and why. */
export function excludeSupport(ctx: RuleContext): ExcludeSupport {
  const chosen = frontendOf(ctx.dockerfile, ctx.buildArgs)
  const syntax = chosen.by === 'builtin' ? undefined : chosen.image
  const by = chosen.by === 'build-arg' ? ' (--build-arg BUILDKIT_SYNTAX, which BuildKit uses before any # syntax= line)' : ''
  const builder = ctx.facts.builder
  const known = builder && !isFactError(builder) ? parseVersion(builder.buildkitVersion)?.parts : undefined
  const builderName = builder && !isFactError(builder) && builder.name ? `builder ${builder.name}` : 'the builder'
  const daemonFixed = known === undefined ? undefined : atLeast(known, FIXED_BUILDKIT)
  const frontend = syntax === undefined ? `${builderName}'s built-in Dockerfile frontend` : `the frontend ${syntax}${by}`
  const frontendHas = syntax === undefined ? daemonFixed : frontendHasExclude(syntax)
  if (frontendHas === false) {
    return {
      needed: true,
      severity: 'error',
      cause: 'frontend',
      why: `${frontend} has no --exclude (labs from dockerfile 1.7, stable from 1.19)`,
    }
  }
  if (daemonFixed === false) {
    return {
      needed: true,
      severity: 'error',
      cause: 'buildkit',
      why:
        `${builderName} runs BuildKit ${builder && !isFactError(builder) ? builder.buildkitVersion : ''}, ` +
        `which fails on broken symlinks under --exclude (fixed by ${FIX})`,
    }
  }
  if (daemonFixed === true && frontendHas === true) {
    const from =
      builder && !isFactError(builder) && builder.buildkitFrom && builder.reported !== builder.buildkitVersion
        ? ` (${builder.buildkitFrom})`
        : ''
    return {
      needed: false,
      severity: 'info',
      why:
        `${builderName} runs BuildKit ` +
        `${builder && !isFactError(builder) ? builder.buildkitVersion : ''}${from} (≥ v0.25.0, which copies ` +
        `broken symlinks under --exclude: ${FIX}) and ${frontend} has --exclude`,
    }
  }
  const unknownBuilder =
    builder === undefined
      ? (ctx.facts.unavailable ?? 'it was not asked')
      : isFactError(builder)
        ? builder.error
        : (builder.buildkitFrom ?? `it reports ${builder.reported ?? 'none'}`)
  const parts = [
    ...(daemonFixed === undefined
      ? [
          `the builder's BuildKit version is unknown (${unknownBuilder}), so dbuild cannot tell whether it has the broken-symlink fix (${FIX})`,
        ]
      : []),
    ...(frontendHas === undefined && syntax !== undefined ? [`dbuild cannot tell whether ${frontend} has --exclude`] : []),
  ]
  // where plain buildx may well build the line, a rewrite could change the image: unsure leaves it alone
  return {needed: false, severity: 'warning', why: `${parts.join('; ')}, and does not rewrite on a guess`}
}
