/**
 * The context manifest as an OCI 1.1 artifact attached to an image (or a registry cache): an image
 * manifest with `artifactType` and `subject`, its one layer the manifest's JSON Lines. Found again
 * through the referrers API, or, on registries without one, the referrers tag fallback scheme: an
 * index tagged `sha256-<hex>` of the subject's digest, read, extended and written back.
 */
import {DbuildError, ExitCode} from '../exit-codes.js'
import {type Descriptor, OCI_INDEX, OCI_MANIFEST, type RegistryClient, sha256Digest} from './client.js'

export const CONTEXT_ARTIFACT_TYPE = 'application/vnd.dbuild.context-manifest.v1'
export const CONTEXT_LAYER_TYPE = 'application/vnd.dbuild.context-manifest.v1+jsonl'
const EMPTY_TYPE = 'application/vnd.oci.empty.v1+json'
const EMPTY = Buffer.from('{}')
const CREATED = 'org.opencontainers.image.created'
const DIGEST_ANNOTATION = 'dev.dbuild.context.digest'

/** The referrers fallback tag of a digest: `sha256:abc…` → `sha256-abc…`, cut to a tag's 128 characters. */
export function fallbackTag(digest: string): string {
  return digest
    .replace(':', '-')
    .replace(/[^a-zA-Z0-9_.-]/g, '-')
    .slice(0, 128)
}

export interface Published {
  artifact: Descriptor
  /** 'referrers' when the registry indexed the subject itself, 'tag' when the fallback index was written. */
  via: 'referrers' | 'tag'
}

/** Pushes `text` (a context manifest) attached to `subject` in the client's repository. */
export async function publishContextManifest(
  client: RegistryClient,
  subject: Descriptor,
  text: string,
  contextDigest: string,
  created = new Date(),
): Promise<Published> {
  const layerBytes = Buffer.from(text, 'utf8')
  const config = await client.pushBlob(EMPTY)
  const layer = await client.pushBlob(layerBytes)
  const annotations = {[CREATED]: created.toISOString().replace(/\.\d{3}Z$/, 'Z'), [DIGEST_ANNOTATION]: contextDigest}
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: CONTEXT_ARTIFACT_TYPE,
    config: {mediaType: EMPTY_TYPE, digest: config.digest, size: config.size, data: EMPTY.toString('base64')},
    layers: [
      {
        mediaType: CONTEXT_LAYER_TYPE,
        digest: layer.digest,
        size: layer.size,
        annotations: {'org.opencontainers.image.title': 'context-manifest.jsonl'},
      },
    ],
    subject: {mediaType: subject.mediaType, digest: subject.digest, size: subject.size},
    annotations,
  }
  const bytes = Buffer.from(JSON.stringify(manifest))
  const {descriptor, subjectTaken} = await client.pushManifest(sha256Digest(bytes), bytes, OCI_MANIFEST)
  const artifact: Descriptor = {...descriptor, artifactType: CONTEXT_ARTIFACT_TYPE, annotations}
  if (subjectTaken) return {artifact, via: 'referrers'}
  // no OCI-Subject header: the registry did not index it, so the fallback tag must list it
  const tag = fallbackTag(subject.digest)
  const existing = await client.manifest(tag, [OCI_INDEX])
  let index: {schemaVersion: number; mediaType: string; manifests: Descriptor[]} = {schemaVersion: 2, mediaType: OCI_INDEX, manifests: []}
  if (existing) {
    try {
      const parsed = JSON.parse(existing.bytes.toString('utf8')) as typeof index
      if (Array.isArray(parsed.manifests)) index = {...parsed, manifests: parsed.manifests}
    } catch {
      // a tag of that name that is not an index is not ours to keep: it is replaced, as the spec says
    }
  }
  if (!index.manifests.some((entry) => entry.digest === artifact.digest)) index.manifests.push(artifact)
  await client.pushManifest(tag, Buffer.from(JSON.stringify(index)), OCI_INDEX)
  return {artifact, via: 'tag'}
}

/** The context manifests attached to `subject`, newest last (by their created annotation, else as listed). */
export async function contextArtifacts(client: RegistryClient, subject: string): Promise<Descriptor[]> {
  let listed = await client.referrersApi(subject, CONTEXT_ARTIFACT_TYPE)
  if (listed === undefined || listed.length === 0) {
    const index = await client.manifest(fallbackTag(subject), [OCI_INDEX])
    const fromTag = index ? ((JSON.parse(index.bytes.toString('utf8')) as {manifests?: Descriptor[]}).manifests ?? []) : []
    listed = [...(listed ?? []), ...fromTag]
  }
  const ours = listed.filter((entry) => entry.artifactType === CONTEXT_ARTIFACT_TYPE)
  const when = (entry: Descriptor) => entry.annotations?.[CREATED] ?? ''
  return ours
    .map((entry, order) => ({entry, order}))
    .sort((a, b) => (when(a.entry) === when(b.entry) ? a.order - b.order : when(a.entry) < when(b.entry) ? -1 : 1))
    .map(({entry}) => entry)
}

/** The text of the newest context manifest attached to `subject`; a clear error naming the reference when there is none. */
export async function fetchContextManifest(client: RegistryClient, subject: Descriptor): Promise<{text: string; artifact: Descriptor}> {
  const artifacts = await contextArtifacts(client, subject.digest)
  const artifact = artifacts.at(-1)
  if (!artifact) {
    throw new DbuildError(`no dbuild context manifest is attached to ${client.name} (${subject.digest})`, ExitCode.NO_INPUT, [
      'Push the image with dbuild build --push (or a registry --cache-to), which attaches it; or pass the manifest file with --against FILE.',
    ])
  }
  const fetched = await client.manifest(artifact.digest, [OCI_MANIFEST])
  const layers = fetched ? ((JSON.parse(fetched.bytes.toString('utf8')) as {layers?: Descriptor[]}).layers ?? []) : []
  const layer = layers.find((entry) => entry.mediaType === CONTEXT_LAYER_TYPE)
  if (!layer)
    throw new DbuildError(
      `the context manifest artifact ${artifact.digest} of ${client.name} has no ${CONTEXT_LAYER_TYPE} layer`,
      ExitCode.INPUT,
    )
  return {text: (await client.blob(layer.digest)).toString('utf8'), artifact}
}
