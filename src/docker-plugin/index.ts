export * from './install.js'
export {dockerConfigDir} from '../docker-config.js'
