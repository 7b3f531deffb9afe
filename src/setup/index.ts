export * from './run-setup.js'
