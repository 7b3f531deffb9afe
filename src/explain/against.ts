/**
 * What `explain --against` names: a manifest file, or an image or registry cache reference whose
 * context manifest was attached to it when the build pushed (src/registry/context-artifact.ts).
 */
import {existsSync} from 'node:fs'

import {DbuildError, ExitCode} from '../exit-codes.js'
import {type Manifest, parseManifest} from './manifest.js'

/** A file when one is there or the text looks like a path; else a reference when it parses as one. */
export function againstKind(text: string): 'file' | 'reference' {
  if (existsSync(text)) return 'file'
  if (/^\.{0,2}\//.test(text) || /\.jsonl?$/i.test(text) || text.includes('\\')) return 'file'
  return 'reference'
}

/** The manifest attached to REF in its registry, with the name it is shown by. */
export async function manifestFromRegistry(text: string, env: NodeJS.ProcessEnv): Promise<{manifest: Manifest; shown: string}> {
  const {RegistryClient, fetchContextManifest, parseReference} = await import('../registry/index.js')
  const ref = parseReference(text)
  if (!ref) {
    throw new DbuildError(`--against ${text}: no such manifest file, and not an image reference`, ExitCode.NO_INPUT, [
      'Pass a manifest file, or an image such as registry.example.com/team/app:main (or a registry cache ref).',
    ])
  }
  const client = new RegistryClient(ref, {env})
  const subject = await client.resolve()
  const {text: body, artifact} = await fetchContextManifest(client, subject.descriptor)
  const shown = `${client.name}${ref.digest ? '' : `@${subject.descriptor.digest}`}`
  return {manifest: parseManifest(body, `${shown} (context manifest ${artifact.digest})`), shown}
}
