/**
 * Why a build would miss the cache a manifest's build made: what differs in the context, which
 * instructions read it, the first instruction to miss, and the causes that are not context files.
 * Pure: the command gathers the current state (current.ts) and formats the report (format.ts).
 */
import type {DigestEntry} from '../stage/digest.js'
import {type Manifest, buildArgHash} from './manifest.js'
import {type DockerfileReaders, dockerfileReaders, instructionText, sourceReading} from './readers.js'

export type ChangeKind = 'added' | 'removed' | 'content' | 'mode' | 'type' | 'link'

export interface InstructionRef {
  line: number
  text: string
}

export interface PathDifference {
  path: string
  /** One or more of content/mode together; added, removed, type and link stand alone. */
  changes: ChangeKind[]
  before?: DigestEntry
  now?: DigestEntry
  /** The instructions that read the path (COPY/ADD source or RUN bind mount), first first. */
  readBy: Array<InstructionRef & {source: string}>
  /** The new content differs from the old only by CRLF line endings, and .gitattributes does not pin them. */
  crlf?: boolean
}

export type CauseKind = 'dockerignore' | 'dockerfile' | 'build-arg' | 'syntax' | 'platform' | 'target' | 'crlf' | 'git'

export interface Cause {
  kind: CauseKind
  message: string
  /** Lines of the current file concerned (the Dockerfile's or the .dockerignore's). */
  lines?: number[]
}

export interface FirstMiss extends InstructionRef {
  why: string
}

export interface ExplainReport {
  same: boolean
  /** Some step of the build would miss the cache (exit 1); false when what differs is read by no instruction. */
  miss: boolean
  digest: {manifest: string; now: string}
  differences: PathDifference[]
  causes: Cause[]
  /** The first instruction (in Dockerfile order, among the stages built) whose cache key changed. */
  firstMiss?: FirstMiss
  /** Things explain could not compare, said so instead of guessed. */
  notes: string[]
}

/** What explain knows about now that a manifest does not say (gathered with I/O by current.ts). */
export interface CurrentFacts {
  /** Paths whose content now differs from the manifest's by CRLF line endings only, and whose line endings .gitattributes does not pin. */
  crlfOnly?: Set<string>
  /** Whether .gitattributes pins the Dockerfile's line endings. */
  dockerfileEolPinned?: boolean
  /** The build args given now, when any were given (values). */
  buildArgs?: Record<string, string>
}

/** Entry-by-entry comparison; both lists are in digest (code-unit) order. */
export function compareEntries(before: readonly DigestEntry[], now: readonly DigestEntry[]): PathDifference[] {
  const differences: PathDifference[] = []
  let i = 0
  let j = 0
  while (i < before.length || j < now.length) {
    const old = before[i]
    const cur = now[j]
    if (cur === undefined || (old !== undefined && old.path < cur.path)) {
      differences.push({path: (old as DigestEntry).path, changes: ['removed'], before: old as DigestEntry, readBy: []})
      i++
      continue
    }
    if (old === undefined || cur.path < old.path) {
      differences.push({path: cur.path, changes: ['added'], now: cur, readBy: []})
      j++
      continue
    }
    i++
    j++
    const changes: ChangeKind[] = []
    if (old.type !== cur.type) changes.push('type')
    else if (old.type === 'symlink') {
      if (old.target !== cur.target) changes.push('link')
    } else {
      if (old.sha256 !== cur.sha256 || old.size !== cur.size) changes.push('content')
      if (old.mode !== cur.mode) changes.push('mode')
    }
    if (changes.length > 0) differences.push({path: cur.path, changes, before: old, now: cur, readBy: []})
  }
  return differences
}

/** Lines of `now` that are not in a longest common subsequence with `before` (1-based), and how many old lines went. */
export function changedLines(before: string, now: string): {changed: number[]; removed: number} {
  const a = before.split(/\r?\n/)
  const b = now.split(/\r?\n/)
  // a small LCS table: Dockerfiles and ignore files are short
  const rows = a.length + 1
  const cols = b.length + 1
  const table = new Uint32Array(rows * cols)
  for (let x = a.length - 1; x >= 0; x--) {
    for (let y = b.length - 1; y >= 0; y--) {
      table[x * cols + y] =
        a[x] === b[y]
          ? (table[(x + 1) * cols + y + 1] as number) + 1
          : Math.max(table[(x + 1) * cols + y] as number, table[x * cols + y + 1] as number)
    }
  }
  const changed: number[] = []
  let removed = 0
  let x = 0
  let y = 0
  while (x < a.length && y < b.length) {
    if (a[x] === b[y]) {
      x++
      y++
    } else if ((table[(x + 1) * cols + y] as number) >= (table[x * cols + y + 1] as number)) {
      removed++
      x++
    } else changed.push(++y)
  }
  removed += a.length - x
  while (y < b.length) changed.push(++y)
  return {changed, removed}
}

function describeLines(what: string, diff: {changed: number[]; removed: number}): string {
  const parts: string[] = []
  if (diff.changed.length > 0) parts.push(`line${diff.changed.length > 1 ? 's' : ''} ${diff.changed.join(', ')} new or changed`)
  if (diff.removed > 0) parts.push(`${diff.removed} old line${diff.removed > 1 ? 's' : ''} gone`)
  return `${what} differs: ${parts.join('; ') || 'line endings or a final newline only'}`
}

/**
 * The first instruction of the current Dockerfile whose own text differs from the recorded one's
 * at the same place in the same stage: BuildKit keys a step on its command, not on its line number,
 * so moved lines and edited comments miss nothing.
 */
function firstChangedInstruction(before: DockerfileReaders, now: DockerfileReaders): FirstMiss | undefined {
  const text = (readers: DockerfileReaders, index: number): string[] =>
    (readers.model.stages[index]?.instructions ?? []).map((instruction) =>
      readers.model.text.slice(instruction.range[0], instruction.range[1]).replace(/\r\n/g, '\n'),
    )
  for (const instruction of now.model.instructions) {
    if (!now.needed.has(instruction.stage)) continue
    const stage = now.model.stages[instruction.stage]
    const position = stage?.instructions.indexOf(instruction) ?? -1
    const old = text(before, instruction.stage)[position]
    const cur = text(now, instruction.stage)[position]
    if (old !== cur) {
      return {
        line: instruction.line,
        text: instructionText(now.model, instruction),
        why: old === undefined ? 'a new instruction' : 'the instruction itself changed',
      }
    }
  }
  return undefined
}

/** The first instruction a changed build arg reaches: in a built stage, after its ARG, a RUN (the arg is in its environment) or a use of it. */
function firstBuildArgUse(readers: DockerfileReaders, name: string): {line: number; text: string} | undefined {
  const use = new RegExp(`\\$\\{?${name}\\b`)
  for (const stage of readers.model.stages) {
    if (!readers.needed.has(stage.index)) continue
    let declared = use.test(readers.model.text.slice(stage.from.range[0], stage.from.range[1]))
    if (declared) return {line: stage.from.line, text: instructionText(readers.model, stage.from)}
    for (const instruction of stage.instructions) {
      if (instruction.keyword === 'ARG' && instruction.properties?.some((property) => property.name === name)) {
        declared = true
        continue
      }
      if (!declared) continue
      if (instruction.keyword === 'RUN' || use.test(readers.model.text.slice(instruction.range[0], instruction.range[1]))) {
        return {line: instruction.line, text: instructionText(readers.model, instruction)}
      }
    }
  }
  return undefined
}

function pathChange(difference: PathDifference): string {
  const {before, now} = difference
  const parts = difference.changes.map((change) => {
    switch (change) {
      case 'mode':
        return `mode ${before?.mode} → ${now?.mode}`
      case 'link':
        return `link ${before?.target} → ${now?.target}`
      case 'type':
        return `${before?.type} → ${now?.type}`
      default:
        return change
    }
  })
  return `${difference.path} (${parts.join(', ')})`
}

/** Whether a context path is the git directory or inside it. */
export function inGitDir(rel: string): boolean {
  return rel === '.git' || rel.startsWith('.git/')
}

/**
 * `.git` differs and an instruction copies it: every clone's .git differs (its index, its refs,
 * its packs), and a Git URL context has none, so that step can never hit a cache made elsewhere.
 */
function gitCause(differences: readonly PathDifference[]): Cause | undefined {
  const read = differences.filter((difference) => inGitDir(difference.path) && difference.readBy.length > 0)
  const first = read[0]?.readBy[0]
  if (!first) return undefined
  return {
    kind: 'git',
    message:
      `${read.length} path(s) under .git differ and line ${first.line} (${first.text}) copies them: a step that copies .git never hits a cache ` +
      'made from another clone, nor from a Git URL context (which has no .git); add `.git` to .dockerignore',
  }
}

/** Compares the manifest a build recorded with the one the context would give now. */
export function explainManifests(before: Manifest, now: Manifest, facts: CurrentFacts = {}): ExplainReport {
  const notes: string[] = []
  const causes: Cause[] = []
  const differences = compareEntries(before.entries, now.entries)
  const target = now.header.target ?? undefined
  const buildArgs = facts.buildArgs ?? {}
  const platform = now.header.platform ?? undefined
  const nowDockerfile = now.header.dockerfile
  const oldDockerfile = before.header.dockerfile
  const candidates: FirstMiss[] = []

  let readers: DockerfileReaders | undefined
  if (nowDockerfile) {
    readers = dockerfileReaders(nowDockerfile.text, {...(target ? {target} : {}), buildArgs, ...(platform ? {platform} : {})})
  } else notes.push('no Dockerfile now: the differences are not mapped to instructions')

  for (const difference of differences) {
    if (facts.crlfOnly?.has(difference.path)) difference.crlf = true
    if (!readers) continue
    for (const reader of readers.readers) {
      const source = sourceReading(reader, difference.path)
      if (source !== undefined)
        difference.readBy.push({line: reader.instruction.line, text: instructionText(readers.model, reader.instruction), source})
    }
    const first = difference.readBy[0]
    if (first) candidates.push({line: first.line, text: first.text, why: pathChange(difference)})
  }

  // .dockerignore
  const oldIgnore = before.header.dockerignore
  const nowIgnore = now.header.dockerignore
  if ((oldIgnore?.sha256 ?? null) !== (nowIgnore?.sha256 ?? null)) {
    const diff = changedLines(oldIgnore?.text ?? '', nowIgnore?.text ?? '')
    const what = !oldIgnore ? `${nowIgnore?.path} is new` : !nowIgnore ? `${oldIgnore.path} is gone` : undefined
    causes.push({
      kind: 'dockerignore',
      message: what ?? describeLines(nowIgnore?.path ?? '.dockerignore', diff),
      ...(nowIgnore && diff.changed.length > 0 ? {lines: diff.changed} : {}),
    })
  }

  // the Dockerfile
  if (oldDockerfile && nowDockerfile && oldDockerfile.sha256 !== nowDockerfile.sha256 && readers) {
    const lfOnly = oldDockerfile.text === nowDockerfile.text.replace(/\r\n/g, '\n')
    if (lfOnly) {
      causes.push({
        kind: 'crlf',
        message: `${nowDockerfile.path} differs only in CRLF line endings${facts.dockerfileEolPinned ? '' : ', and .gitattributes does not pin them'}`,
      })
    } else {
      const diff = changedLines(oldDockerfile.text, nowDockerfile.text)
      causes.push({kind: 'dockerfile', message: describeLines(nowDockerfile.path, diff), lines: diff.changed})
    }
    const changed = firstChangedInstruction(dockerfileReaders(oldDockerfile.text, {...(target ? {target} : {}), buildArgs}), readers)
    if (changed) candidates.push(changed)
  } else if (!oldDockerfile && nowDockerfile) notes.push('the manifest records no Dockerfile: its lines are not compared')

  // # syntax, platform, target
  if (oldDockerfile && nowDockerfile && before.header.syntax !== now.header.syntax) {
    causes.push({
      kind: 'syntax',
      message: `# syntax differs: ${before.header.syntax ?? '(none)'} → ${now.header.syntax ?? '(none)'}; another frontend may build every step differently`,
    })
  }
  if (before.header.platform !== null && now.header.platform !== null && before.header.platform !== now.header.platform) {
    causes.push({
      kind: 'platform',
      message: `platform differs: ${before.header.platform} → ${now.header.platform}; every step is built for another platform`,
    })
    const from = readers?.model.stages.find((stage) => readers?.needed.has(stage.index))?.from
    if (readers && from) candidates.push({line: from.line, text: instructionText(readers.model, from), why: 'another platform'})
  } else if (before.header.platform !== null && now.header.platform === null) {
    notes.push(`the manifest's build was for platform ${before.header.platform}: pass --platform to compare it`)
  }
  if (before.header.target !== null && now.header.target !== null && before.header.target !== now.header.target) {
    causes.push({kind: 'target', message: `target differs: ${before.header.target} → ${now.header.target}`})
  }

  // build args: compared only when some are given now, as a command line without them cannot say
  const recordedArgs = before.header.buildArgs
  if (facts.buildArgs) {
    const names = [...new Set([...Object.keys(recordedArgs), ...Object.keys(buildArgs)])].sort()
    for (const name of names) {
      const old = recordedArgs[name]
      const cur = buildArgs[name] === undefined ? undefined : buildArgHash(buildArgs[name])
      if (old === cur) continue
      const state = old === undefined ? 'given now, not then' : cur === undefined ? 'given then, not now' : 'another value'
      causes.push({kind: 'build-arg', message: `build arg ${name}: ${state}`})
      const use = readers ? firstBuildArgUse(readers, name) : undefined
      if (use) candidates.push({...use, why: `build arg ${name} changed`})
    }
  } else if (Object.keys(recordedArgs).length > 0) {
    notes.push(`the manifest records build args (${Object.keys(recordedArgs).join(', ')}): pass the same --build-arg flags to compare them`)
  }

  const crlfPaths = differences.filter((difference) => difference.crlf).map((difference) => difference.path)
  if (crlfPaths.length > 0) {
    causes.push({
      kind: 'crlf',
      message:
        `${crlfPaths.length} file(s) differ only in CRLF line endings and .gitattributes does not pin them: ` +
        `${crlfPaths.slice(0, 5).join(', ')}${crlfPaths.length > 5 ? ', ...' : ''}`,
    })
  }

  const git = gitCause(differences)
  if (git) causes.push(git)

  candidates.sort((a, b) => a.line - b.line)
  const firstMiss = candidates[0]
  const same = before.header.digest === now.header.digest && causes.length === 0
  // another frontend builds every step anew; without a Dockerfile nothing can be ruled out
  const miss = firstMiss !== undefined || causes.some((cause) => cause.kind === 'syntax') || (!readers && !same)
  return {
    same,
    miss,
    digest: {manifest: before.header.digest, now: now.header.digest},
    differences,
    causes,
    ...(firstMiss ? {firstMiss} : {}),
    notes,
  }
}
