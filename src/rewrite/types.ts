import type {DbuildConfig} from '../config.js'

import type {DockerfileModel, InstructionNode} from './parse.js'
import type {Expanded} from './expand.js'

export type Severity = 'error' | 'warning' | 'info'

/** One replacement of `[start, end)` in the ORIGINAL text (ESLint's fixer model). */
export interface Edit {
  range: [number, number]
  text: string
  /**
   * The text was made from RuleContext.asBuilt of the parts of the range it keeps, so the edits of
   * the image-resolving rules inside the range are already in it: the applier counts them applied
   * instead of dropping them as overlapping (a whole-line rewrite keeps image-mirror's `--from=`).
   */
  asBuilt?: boolean
}

export interface Finding {
  ruleId: string
  severity: Severity
  message: string
  /** 1-based */
  line: number
  column?: number
  /** All-or-nothing: the edits of one finding are applied together or not at all. */
  fix?: Edit[]
  /** The exact line(s) to paste when the rule is unsure and changed nothing. */
  suggestion?: string
  /**
   * A build arg the build must be given another value of, where no Dockerfile edit can do it
   * (BUILDKIT_SYNTAX wins over any line of the file). Like `fix`: dropped when the rule is set to
   * warn, and only a build arg the build was given is changed, never one added. `dbuild build` and
   * `bake` pass it to buildx; lint and rewrite can only report it.
   */
  buildArgFix?: {name: string; value: string}
}

/** A user or group database as it stands at one line: the raw /etc/passwd and /etc/group texts. */
export interface Accounts {
  passwd: string
  group: string
}

export type TreeEntryType = 'dir' | 'file' | 'symlink' | 'other'

/** One entry of an exported stage, read from a tar header. */
export interface TreeEntry {
  /** Relative to the stage root, no leading or trailing slash. */
  path: string
  type: TreeEntryType
  mode: number
  uid: number
  gid: number
  linkname?: string
}

/** Why a fact could not be had; rules turn it into an "unsure" finding. */
export interface FactError {
  error: string
}

/** A fact a probe could not get, told apart from the fact itself. */
export function isFactError(value: unknown): value is FactError {
  return typeof value === 'object' && value !== null && 'error' in value
}

/** A fact a rule asks for before check(); gathered by the probe builds in probe-builds.ts. */
export type FactRequest =
  {kind: 'accounts'; instruction: InstructionNode} | {kind: 'listing'; instruction: InstructionNode; from: string} | {kind: 'builder'}

/** The builder a build would run on, as `docker buildx inspect` reports it. */
export interface BuilderFact {
  name?: string
  driver?: string
  /** e.g. v0.25.1: as the builder reports it, else as its engine vendors it; undefined when nothing tells. */
  buildkitVersion?: string
  /** The version text as reported, for messages. */
  reported?: string
  /** What told dbuild the version, or why nothing did (src/buildx/inspect.ts builderBuildkit). */
  buildkitFrom?: string
}

/** Facts from BuildKit, precomputed so that check() stays pure. */
export interface Facts {
  /** /etc/passwd and /etc/group just before the instruction at this 1-based line. */
  accounts: Map<number, Accounts | FactError>
  /** The tree of a stage or image, keyed by the (expanded) `--from` value. */
  listings: Map<string, TreeEntry[] | FactError>
  /** The builder, when a rule asked for it. */
  builder?: BuilderFact | FactError
  /** Set when no probe could run at all, saying why. */
  unavailable?: string
  /** Kind of a path in the build context, when the context directory is known. */
  contextKind?: (source: string) => 'dir' | 'file' | undefined
  /** Whether BuildKit is sent a top-level context path: it is there and the ignore file does not leave it out. */
  contextSends?: (name: string) => boolean
}

export interface RuleContext {
  file: string
  text: string
  dockerfile: DockerfileModel
  config: DbuildConfig
  /** The severity this rule reports with (its default unless the config changed it). */
  severity: Severity
  /** Expands a flag value or argument the way BuildKit does at that instruction. */
  expand(instruction: InstructionNode, word: string): Expanded
  /**
   * `range` of the text as the build gets it: with the fixes of the image-resolving rules
   * (image-mirror, as configured: none when it is "warn", "off" or skipped) that lie inside it.
   * A rule that rewrites a range keeps the build's image sources by copying its text from here and
   * marking its edit `asBuilt`. The image-resolving rules themselves see the text as written.
   */
  asBuilt(range: [number, number]): string
  facts: Facts
  target?: string
  platform?: string
  /** The build args as buildx gets them (some change the build itself: BUILDKIT_SYNTAX picks the frontend). */
  buildArgs?: Readonly<Record<string, string>>
  /**
   * The names of the build's named contexts (`--build-context NAME=…`, bake `contexts`): a FROM or
   * `--from` naming one reads it, not an image (see namedContextOf).
   */
  buildContexts: readonly string[]
}

export interface Rule {
  id: string
  description: string
  defaultSeverity: Severity
  /**
   * Set by a rule whose fixes decide where the build's images come from (image-mirror): the probe
   * builds get its edits and buildArgFix too, so that a probe pulls each image from where the build
   * will. Its check() runs before any fact is gathered, so it must not read facts.
   */
  resolvesImages?: boolean
  /** BuildKit facts this rule needs for this Dockerfile; pure. */
  needs?(ctx: RuleContext): FactRequest[]
  /** Pure and synchronous; fixes are edits against the original text. */
  check(ctx: RuleContext): Finding[]
}

export interface DockerAccess {
  contextDir: string
  env?: NodeJS.ProcessEnv
  builder?: string
  /** buildx --network for probe builds (e.g. "host"). */
  network?: string
  /** Named contexts as buildx gets them (`--build-context NAME=SOURCE`); probe builds get them too. */
  buildContexts?: Record<string, string>
  /**
   * A digest of the main context's content when the caller has one (the stage's); without it the
   * probes hash the tree themselves (see contextKeyFor). Probe answers are keyed on it.
   */
  contextKey?: string
  /** The same for local named contexts, by name. */
  buildContextKeys?: Record<string, string>
}

export interface RewriteOptions {
  /** The Dockerfile as rules read it: decodeBytes(bytes), so that no byte is lost. */
  text: string
  /** The file's bytes, which the fixes are spliced into; encodeText(text) when absent. */
  bytes?: Uint8Array
  /** For messages. */
  file: string
  config: DbuildConfig
  configPath?: string
  buildArgs?: Record<string, string>
  target?: string
  platform?: string
  /** The build context directory, for rules that stat its paths (no build is run); defaults to docker.contextDir. */
  contextDir?: string
  /** Names of the build's named contexts, besides those docker.buildContexts gives (a bake `target:` one, or lint's --build-context). */
  buildContexts?: readonly string[]
  /** When absent, rules needing BuildKit facts stay unsure and say why. */
  docker?: DockerAccess
  cacheDir?: string
  /** Hand-written facts (tests, or a caller that has them); merged over probed ones. */
  facts?: Partial<Facts>
}

export interface RewriteResult {
  /** The rewritten file: write these, never the text, so every byte no rule touched is kept. */
  bytes: Buffer
  /** The same, decoded. */
  text: string
  changed: boolean
  /** All findings, including fixed ones. */
  findings: Finding[]
  /** Findings whose fixes overlapped an earlier fix and were not applied. */
  dropped: Finding[]
  /** The build args the findings' buildArgFix change, name → new value (only ones the build was given). */
  buildArgs: Record<string, string>
}
