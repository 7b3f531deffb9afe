/**
 * Context staging: a copy of exactly the paths BuildKit would send for a context, with canonical
 * modes, synced into a stable per-context directory so COPY/ADD checksums match on every machine.
 */
// ignoreFileFor lives in ignore.ts so that the input resolver can ask for it without loading the stage
export {IgnoreMatcher, ignoreFileFor, parseIgnoreFile} from './ignore.js'
export {stageRootFor} from './layout.js'
export {canonicalMode} from './sync.js'
export type {ContextDigest, DigestEntry} from './digest.js'
export * from './stage-context.js'
