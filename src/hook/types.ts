/** The shapes install, uninstall and status report in. */
import type {HookName} from './scripts.js'

export type Manager =
  | {kind: 'hooks-dir'}
  | {kind: 'husky'; /** The directory holding the user hooks (`.husky`). */ dir: string}
  | {kind: 'lefthook'; /** lefthook's main config file. */ config: string}

export type HookState = 'displaced' | 'foreign' | 'installed' | 'missing'

export interface HookReport {
  name: HookName
  state: HookState
  /** Where dbuild's part lives (a hook file, husky's `.husky/<hook>`, lefthook's script). */
  path: string
  /** How dbuild's part is registered. */
  via: Manager
  /** A foreign hook kept aside and run by dbuild's hook. */
  chained: boolean
  /** The fingerprint in an installed hook (a hash of its text). */
  version?: string
  /** An installed hook older than this dbuild, or edited. */
  outdated?: boolean
  /** The tool that replaced or moved dbuild's hook. */
  displacedBy?: string
  /** What else needs doing, when something does. */
  note?: string
}

export interface HooksLocation {
  /** Absolute hooks directory git uses. */
  dir: string
  /** The work tree's top directory. */
  root: string
  /** core.hooksPath when set (a hook manager such as husky usually sets it). */
  hooksPath?: string
  /** The hook manager dbuild registers through. */
  manager: Manager
  /** Advice about the setup, e.g. git's own hook config when git is new enough. */
  note?: string
}

export type HookAction = 'chained' | 'installed' | 'removed' | 'repaired' | 'restored' | 'unchanged' | 'updated'

export interface HookChange extends HookReport {
  action: HookAction
}
