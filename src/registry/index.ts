/** The OCI distribution client and the context manifest artifact. */
export {type Descriptor, RegistryClient} from './client.js'
export {contextArtifacts, fetchContextManifest, publishContextManifest} from './context-artifact.js'
export {credentialsFor} from './credentials.js'
export {formatReference, type ImageReference, parseReference} from './reference.js'
