export type {
  Accounts,
  BuilderFact,
  DockerAccess,
  Edit,
  FactError,
  FactRequest,
  Facts,
  Finding,
  RewriteOptions,
  RewriteResult,
  Rule,
  RuleContext,
  Severity,
  TreeEntry,
  TreeEntryType,
} from './types.js'
export {rewriteDockerfile} from './engine.js'
export {resolveRules} from './resolve.js'
export {applyFixes} from './apply.js'
export {decodeBytes, encodeText} from '../surrogate-escape.js'
export {builderFlagWord, expandWord, variableScopes} from './expand.js'
export {parseDockerfile, copyPaths, flag, flags, isHeredocSource, stageByRef} from './parse.js'
export type {ArgNode, DirectiveNode, DockerfileModel, FlagNode, InstructionNode, StageNode} from './parse.js'
export {findGroup, findUser} from './accounts.js'
export {isFactError} from './types.js'
export {atLeast, parseVersion} from '../version.js'
export {familiarReference, namedContextOf} from './named-context.js'
export {type Frontend, frontendOf, SYNTAX_BUILD_ARG} from './frontend.js'
