/** The built-in rules: an explicit registry, sorted by id. Commands pass this list to the engine. */
import type {Rule} from '../src/rewrite/index.js'

import {rule as addUrlChecksum} from './add-url-checksum.js'
import {rule as chmodNotCacheFix} from './chmod-not-cache-fix.js'
import {rule as copyMergesDirs} from './copy-merges-dirs.js'
import {rule as excludeRoot} from './exclude-root.js'
import {rule as gitInContext} from './git-in-context.js'
import {rule as imageMirror} from './image-mirror.js'
import {rule as linkChown} from './link-chown.js'

export const builtinRules: Rule[] = [addUrlChecksum, chmodNotCacheFix, copyMergesDirs, excludeRoot, gitInContext, imageMirror, linkChown]
