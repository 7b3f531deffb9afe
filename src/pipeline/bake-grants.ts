/**
 * The `--allow` grants buildx's bake gives by itself for what `--set` overrides name (buildx 0.20
 * on: bake/bake.go, Target.AddOverrides). A path that an override names is taken as allowed, as if
 * `--allow` had said it: an output's `dest` and a local cache-to `dest` may be written; a local
 * cache-from `src`, a secret's `src` and an ssh key's paths may be read; and the entitlements
 * network.host and security.insecure given through `--set T.entitlements=…` are granted.
 *
 * dbuild folds the `--set` values into the definition it generates, so the bake that builds no
 * longer sees them as overrides: without these grants buildx refuses (or asks) where plain
 * `docker buildx bake --set …` builds. Pure: it reads the `--set` values and the definition
 * `bake --print` resolved, and touches nothing.
 */

/** What this module reads of a resolved definition: its targets by name, each field as printed. */
export interface PrintedDefinition {
  target?: Record<string, Record<string, unknown>>
}

/**
 * One CSV record's fields as buildx reads them (go-csvvalue, Go's encoding/csv rules): separated by
 * commas; a field that starts with a double quote runs to the closing quote, may hold commas, and
 * doubles a quote inside. Undefined where buildx would refuse the text (a bare or unclosed quote).
 */
export function csvFields(text: string): string[] | undefined {
  const fields: string[] = []
  let at = 0
  for (;;) {
    if (text[at] === '"') {
      let field = ''
      let index = at + 1
      for (;;) {
        const quote = text.indexOf('"', index)
        if (quote === -1) return undefined
        field += text.slice(index, quote)
        if (text[quote + 1] === '"') {
          field += '"'
          index = quote + 2
          continue
        }
        at = quote + 1
        break
      }
      fields.push(field)
      if (at === text.length) return fields
      if (text[at] !== ',') return undefined
      at += 1
      continue
    }
    const comma = text.indexOf(',', at)
    const field = comma === -1 ? text.slice(at) : text.slice(at, comma)
    if (field.includes('"')) return undefined
    fields.push(field)
    if (comma === -1) return fields
    at = comma + 1
  }
}

/** `key=value` fields as a map, keys lower-cased as buildx does; undefined for a field without `=`. */
function keyValues(fields: readonly string[]): Map<string, string> | undefined {
  const map = new Map<string, string>()
  for (const field of fields) {
    const eq = field.indexOf('=')
    if (eq === -1) return undefined
    map.set(field.slice(0, eq).trim().toLowerCase(), field.slice(eq + 1))
  }
  return map
}

/** An entry as `bake --print` writes it: a CSV string (older buildx) or an object of its keys. */
type Entry = unknown

const objectField = (entry: Entry, key: string): unknown =>
  entry && typeof entry === 'object' ? (entry as Record<string, unknown>)[key] : undefined

/** An output's `dest` (buildflags.ExportEntry; a bare value is a local directory); `-` is standard output, no path. */
function outputDest(entry: Entry): string | undefined {
  let dest: unknown
  if (typeof entry !== 'string') dest = objectField(entry, 'dest')
  else {
    const fields = csvFields(entry)
    if (!fields) return undefined
    dest = fields.length === 1 && fields[0] === entry && !entry.startsWith('type=') ? entry : keyValues(fields)?.get('dest')
  }
  return typeof dest === 'string' && dest !== '' && dest !== '-' ? dest : undefined
}

/** A local cache entry's attribute `key` (buildflags.CacheOptionsEntry); a bare ref is a registry cache. */
function localCacheAttr(entry: Entry, key: 'src' | 'dest'): string | undefined {
  if (typeof entry !== 'string') {
    const value = objectField(entry, key)
    return objectField(entry, 'type') === 'local' && typeof value === 'string' ? value : undefined
  }
  if (!entry.includes('=')) return undefined
  const fields = csvFields(entry)
  const map = fields && keyValues(fields)
  return map?.get('type') === 'local' ? map.get(key) : undefined
}

/** A secret's file (buildflags.Secret): `src` or `source`, unless `type=env` makes it a variable's name. */
function secretFile(entry: Entry): string | undefined {
  if (typeof entry !== 'string') {
    const src = objectField(entry, 'src')
    return typeof src === 'string' && src !== '' ? src : undefined
  }
  const fields = csvFields(entry)
  const map = fields && keyValues(fields)
  if (!map || map.get('type') === 'env') return undefined
  const src = map.get('src') ?? map.get('source')
  return src === undefined || src === '' ? undefined : src
}

/** An ssh entry's paths (buildflags.SSH): `id=path,path`, split on every comma as buildx does. */
function sshPaths(entry: Entry): string[] {
  if (typeof entry !== 'string') {
    const paths = objectField(entry, 'paths')
    return Array.isArray(paths) ? paths.filter((p): p is string => typeof p === 'string') : []
  }
  const eq = entry.indexOf('=')
  return eq === -1 ? [] : entry.slice(eq + 1).split(',')
}

/**
 * Go's path.Match as a RegExp: `*` any run of characters but `/`, `?` one such character, `[…]` a
 * class (`^` negates), `\` escapes. Undefined for a pattern Go calls malformed.
 */
function globRegExp(pattern: string): RegExp | undefined {
  let source = ''
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] as string
    if (char === '*') source += '[^/]*'
    else if (char === '?') source += '[^/]'
    else if (char === '\\') {
      i += 1
      if (i >= pattern.length) return undefined
      source += `\\u{${(pattern.codePointAt(i) as number).toString(16)}}`
    } else if (char === '[') {
      const close = pattern.indexOf(']', i + 2)
      if (close === -1) return undefined
      let body = pattern.slice(i + 1, close)
      const negate = body.startsWith('^')
      if (negate) body = body.slice(1)
      if (body === '') return undefined
      const escaped = body.replace(
        /\\(.)|([\]\\^])/gu,
        (_all, escapedChar: string | undefined, special: string | undefined) => `\\${escapedChar ?? special}`,
      )
      source += `[${negate ? '^/' : ''}${escaped}]`
      i = close
    } else source += char.replace(/[.+^${}()|[\]/]/g, '\\$&')
  }
  try {
    return new RegExp(`^${source}$`, 'u')
  } catch {
    return undefined
  }
}

/** The printed targets an override's pattern names (bake's expandTargets: the exact name, else a glob). */
function matchingTargets(pattern: string, names: readonly string[]): string[] {
  if (names.includes(pattern)) return [pattern]
  const glob = globRegExp(pattern)
  return glob ? names.filter((name) => glob.test(name)) : []
}

const entries = (target: Record<string, unknown>, key: string): Entry[] => {
  const value = target[key]
  return Array.isArray(value) ? value : []
}

/**
 * The `--allow` values (`fs.write=PATH`, `fs.read=PATH`, `network.host`, `security.insecure`) buildx
 * would grant for `setValues` (each `--set` value as given), read from the resolved `definition`:
 * for every field an override names, what the target holds after the override (appended with `+=`
 * or replaced), as buildx grants it. Paths are as written; bake resolves them from its working
 * directory, which is the user's. In the order found, without repeats.
 */
export function overrideGrants(setValues: readonly string[], definition: PrintedDefinition): string[] {
  const targets = definition.target ?? {}
  const names = Object.keys(targets)
  const grants = new Set<string>()
  const grant = (entitlement: string, paths: Iterable<string | undefined>) => {
    for (const p of paths) if (p !== undefined && p !== '') grants.add(`${entitlement}=${p}`)
  }
  for (const value of setValues) {
    const eq = value.indexOf('=')
    if (eq === -1) continue
    const keys = value.slice(0, eq).replace(/\+$/, '').split('.')
    const [pattern, field] = keys
    if (pattern === undefined || field === undefined) continue
    const given = value.slice(eq + 1)
    for (const name of matchingTargets(pattern, names)) {
      const target = targets[name] as Record<string, unknown>
      switch (field) {
        case 'output':
          grant('fs.write', entries(target, 'output').map(outputDest))
          break
        case 'cache-to':
          grant(
            'fs.write',
            entries(target, 'cache-to').map((entry) => localCacheAttr(entry, 'dest')),
          )
          break
        case 'cache-from':
          grant(
            'fs.read',
            entries(target, 'cache-from').map((entry) => localCacheAttr(entry, 'src')),
          )
          break
        case 'secrets':
          // printed as `secret`, set as `secrets`
          grant('fs.read', entries(target, 'secret').map(secretFile))
          break
        case 'ssh':
          grant('fs.read', entries(target, 'ssh').flatMap(sshPaths))
          break
        case 'entitlements':
          if (given === 'network.host' || given === 'security.insecure') grants.add(given)
          break
        default:
          break
      }
    }
  }
  return [...grants]
}
