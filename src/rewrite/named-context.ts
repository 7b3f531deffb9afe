/**
 * Named build contexts (`--build-context NAME=SOURCE`, a bake target's `contexts`): BuildKit looks
 * every FROM, `COPY --from` and `RUN --mount from=` reference up among them before it pulls an
 * image, so a rule that resolves those references must know them as it knows stage names.
 */

/**
 * A reference as buildx keys named contexts and BuildKit looks them up: the familiar name
 * (docker.io/library/ and docker.io/ dropped) without a `:latest` tag; a `::platform` suffix of a
 * context name dropped too.
 */
export function familiarReference(reference: string): string {
  let name = reference.replace(/::.*$/, '').replace(/^(index\.)?docker\.io\//, '')
  // only Docker Hub's official images drop library/: docker.io/library/a/b stays library/a/b
  if (/^library\/[^/]+$/.test(name)) name = name.slice('library/'.length)
  return name.includes('@') ? name : name.replace(/:latest$/, '')
}

/** The named context `reference` reads, when the build has one by that name. */
export function namedContextOf(reference: string, names: readonly string[] | undefined): string | undefined {
  if (!names || names.length === 0 || reference === '') return undefined
  const wanted = familiarReference(reference)
  return names.find((name) => familiarReference(name) === wanted)
}
