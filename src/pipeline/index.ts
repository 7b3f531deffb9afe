/** The build pipeline, one module per step; see plan.ts for the order. */
export {assembleArgs, isSilent} from './assemble.js'
export {resolveCacheLists} from './cache.js'
export {type InputRequest, type Inputs, loadInputConfig, resolveInputs} from './inputs.js'
export {contextDirectory} from '../stage/context-directory.js'
export {type BuildPlan, type BuildPlanOptions, planBuild, runBuild} from './plan.js'
export {type RewriteInput, type RewriteOutput, type RewriteStep, writeDockerfileCopy} from './rewrite.js'
export {type ContextPath, stageDir, stageMainContext, stageNamedContexts} from './stage.js'
