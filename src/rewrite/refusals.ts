/**
 * What BuildKit's Dockerfile frontend refuses before it builds anything, reported by lint and
 * rewrite as errors with BuildKit's own words (moby/buildkit frontend/dockerfile/parser and
 * instructions), so a file that cannot build does not pass lint silently.
 */
import type {DockerfileModel} from './parse.js'
import type {Finding} from './types.js'

export const REFUSAL_ID = 'buildkit'

export function buildkitRefusals(model: DockerfileModel): Finding[] {
  const refuse = (line: number, message: string): Finding => ({ruleId: REFUSAL_ID, severity: 'error', line, message})
  // parser.Parse: an empty file, or one of comments and directives only
  if (model.instructions.length === 0)
    return [
      refuse(1, 'file with no instructions: BuildKit refuses a Dockerfile without a single instruction (an empty file, or comments only).'),
    ]
  const findings: Finding[] = []
  for (const instruction of model.instructions) {
    if (instruction.keyword !== 'ENV') continue
    const words = instruction.args.map((arg) => arg.value)
    // parseNameVal: the old form `ENV NAME VALUE` needs its value; `ENV NAME=` is an empty value and fine
    if (words.length === 0) findings.push(refuse(instruction.line, 'ENV requires at least one argument (BuildKit refuses the line).'))
    else if (words.length === 1 && !words[0]?.includes('=')) {
      findings.push(
        refuse(
          instruction.line,
          `ENV must have two arguments: "ENV ${words[0]}" sets no value, and BuildKit refuses it (write ENV ` +
            `${words[0]}=VALUE; a Dockerfile cannot unset a variable).`,
        ),
      )
    }
  }
  return findings
}
