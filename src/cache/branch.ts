/**
 * The branch a build is for, as the cache placeholders need it: the checked-out branch, or on a
 * detached HEAD the CI's branch variable; the default branch; and either as an image tag.
 */
import {gitOutput} from '../git.js'

/**
 * CI variables naming the branch being built, most specific first: a pull request's source branch
 * before the ref that was checked out (GitHub's GITHUB_REF_NAME is `123/merge` for a PR).
 */
export const CI_BRANCH_VARIABLES = [
  'GITHUB_HEAD_REF',
  'GITHUB_REF_NAME',
  'CI_MERGE_REQUEST_SOURCE_BRANCH_NAME',
  'CI_COMMIT_REF_NAME',
  'CI_COMMIT_BRANCH',
  'BUILDKITE_BRANCH',
  'CIRCLE_BRANCH',
  'TRAVIS_PULL_REQUEST_BRANCH',
  'TRAVIS_BRANCH',
  'BITBUCKET_BRANCH',
  'DRONE_SOURCE_BRANCH',
  'DRONE_BRANCH',
  'SYSTEM_PULLREQUEST_SOURCEBRANCH',
  'BUILD_SOURCEBRANCHNAME',
  'CHANGE_BRANCH',
  'BRANCH_NAME',
  'GIT_BRANCH',
  'CI_BRANCH',
] as const

/** A branch name as an image tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`. `feature/x` → `feature-x`. */
export function sanitizeTag(branch: string): string {
  const tag = branch
    .replace(/^refs\/heads\//, '')
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^[.-]+/, '')
    .slice(0, 128)
    .replace(/[.-]+$/, '')
  return tag === '' ? 'unknown' : tag
}

/** CI systems report `origin/main` or `refs/heads/main` in some variables; the branch is `main`. */
function branchFromVariable(value: string): string {
  return value.replace(/^refs\/heads\//, '').replace(/^origin\//, '')
}

/** The branch from CI's variables, for a detached HEAD. */
export function ciBranch(env: NodeJS.ProcessEnv): string | undefined {
  for (const name of CI_BRANCH_VARIABLES) {
    const value = env[name]?.trim()
    if (value) return branchFromVariable(value)
  }
  return undefined
}

/** The checked-out branch; on a detached HEAD (as CI checks out) the CI's branch variable. */
export async function currentBranch(cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const branch = await gitOutput(cwd, ['symbolic-ref', '--quiet', '--short', 'HEAD'])
  return branch || ciBranch(env)
}

/** config.defaultBranch, else what origin/HEAD points at, else `main`. */
export async function defaultBranch(cwd: string, configured?: string): Promise<string> {
  if (configured) return configured
  const remoteHead = await gitOutput(cwd, ['symbolic-ref', '--quiet', '--short', 'refs/remotes/origin/HEAD'])
  if (remoteHead) return remoteHead.replace(/^origin\//, '')
  return 'main'
}
