export * from './config.js'
export * from './logging.js'
export * from './events.js'
export * from './broker.js'
