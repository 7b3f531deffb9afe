/**
 * What the docker-buildx shim hands dbuild: `[docker's global flags] buildx [buildx's flags] CMD …`
 * when docker started it, `[buildx's flags] CMD …` when Compose did. CMD is build, b, bake or f
 * (the shim sends everything else to the real buildx); the result is a dbuild command line, with
 * the environment docker's global flags stand for.
 */
import {globalFlags, flagEnv} from './argv.js'

/** buildx's own short names: `docker buildx b` is build, `docker buildx f` is bake. */
const ALIASES: Record<string, string> = {b: 'build', build: 'build', f: 'bake', bake: 'bake'}

/** docker's form has `buildx` after docker's global flags; anything else is buildx run directly. */
function dockerForm(argv: readonly string[]): ReturnType<typeof globalFlags> | undefined {
  if (!argv.includes('buildx')) return undefined
  try {
    const split = globalFlags(argv)
    return split.rest[0] === 'buildx' ? split : undefined
  } catch {
    return undefined
  }
}

export function shimCommand(argv: readonly string[], env: NodeJS.ProcessEnv): {argv: string[]; env: NodeJS.ProcessEnv} {
  const docker = dockerForm(argv)
  const words = docker ? docker.rest.slice(1) : [...argv]
  // buildx's --builder and --debug may stand before the command; dbuild's router takes them there too
  let index = 0
  while (index < words.length && ALIASES[words[index] as string] === undefined) index += words[index] === '--builder' ? 2 : 1
  const out =
    index >= words.length ? words : [...words.slice(0, index), ALIASES[words[index] as string] as string, ...words.slice(index + 1)]
  return {argv: out, env: docker ? flagEnv(docker.values, env) : {...env}}
}
