/** The build's rewrite step: the project's rules (built-ins plus config plugins) over the Dockerfile. */
import {formatText} from '../rewrite/format.js'
import {resolveRules, rewriteDockerfile} from '../rewrite/index.js'
import type {Finding, Rule} from '../rewrite/index.js'
import type {RewriteStep} from './rewrite.js'

/** A RewriteStep for `builtin` rules; the caller (a command) passes plugins/index.ts's list in. */
export function rewriteStepFor(builtin: Rule[]): RewriteStep {
  return async (input) => {
    const plugins = {
      ...(input.plugins === undefined ? {} : {allow: input.plugins}),
      ...(input.docker.env ? {env: input.docker.env} : {}),
      warn: input.warn,
    }
    const rules = await resolveRules(builtin, input.config, input.configPath, plugins)
    const result = await rewriteDockerfile(rules, {
      text: input.text,
      bytes: input.bytes,
      file: input.file,
      config: input.config,
      ...(input.configPath ? {configPath: input.configPath} : {}),
      buildArgs: input.buildArgs,
      ...(input.target === undefined ? {} : {target: input.target}),
      ...(input.platform === undefined ? {} : {platform: input.platform}),
      ...(input.contextNames ? {buildContexts: input.contextNames} : {}),
      docker: input.docker,
    })
    const dropped = new Set(result.dropped)
    const argFixed = (finding: Finding) =>
      finding.buildArgFix !== undefined && result.buildArgs[finding.buildArgFix.name] === finding.buildArgFix.value
    const fixed = new Set<Finding>(
      result.findings.filter((finding) => !dropped.has(finding) && ((result.changed && finding.fix) || argFixed(finding))),
    )
    const report = formatText(result.findings, input.file, fixed)
    return {
      bytes: result.bytes,
      text: result.text,
      changed: result.changed,
      buildArgs: result.buildArgs,
      messages: report ? report.split('\n') : [],
    }
  }
}
