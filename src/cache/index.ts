export * from './branch.js'
export * from './lists.js'
