export * from './hooks.js'
export * from './scripts.js'
export * from './format.js'
