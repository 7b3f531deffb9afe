export * from './compare-manifests.js'
