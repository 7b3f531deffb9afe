/**
 * Which Dockerfile frontend a build runs, and what chose it: the one owner of that precedence, for
 * every rule that cares (exclude-root asks whether it has --exclude, image-mirror where it is pulled from).
 */
import type {DirectiveNode, DockerfileModel} from './parse.js'

/** The build arg BuildKit's Dockerfile frontend forwards to before it reads any `# syntax=` line. */
export const SYNTAX_BUILD_ARG = 'BUILDKIT_SYNTAX'

export type Frontend =
  /** `--build-arg BUILDKIT_SYNTAX=IMAGE [ARGS]`: `image` is its first word; a `# syntax=` line, if any, is never read. */
  | {by: 'build-arg'; image: string; value: string; line?: DirectiveNode}
  | {by: 'syntax-line'; image: string; line: DirectiveNode}
  | {by: 'builtin'}

/**
 * BuildKit's built-in Dockerfile frontend forwards to the build arg BUILDKIT_SYNTAX before it looks
 * for a `# syntax=` line (moby/buildkit frontend/dockerfile/builder/build.go, Build: `opts[keySyntaxArg]`
 * first, `parser.DetectSyntax` only in its else), taking the arg's first word as the image
 * (`strings.SplitN(strings.TrimSpace(cmdline), " ", 2)`); so the arg wins over the line.
 */
export function frontendOf(dockerfile: DockerfileModel, buildArgs: Readonly<Record<string, string>> | undefined): Frontend {
  const line = dockerfile.directives.find((d) => d.name === 'syntax')
  const value = buildArgs?.[SYNTAX_BUILD_ARG]
  if (value !== undefined) return {by: 'build-arg', image: value.trim().split(' ')[0] as string, value, ...(line ? {line} : {})}
  return line === undefined ? {by: 'builtin'} : {by: 'syntax-line', image: line.value, line}
}
