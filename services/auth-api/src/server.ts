import closeWithGrace from 'close-with-grace'
import Fastify from 'fastify'
import fp from 'fastify-plugin'
import { loadConfig, loggerOptions } from '@latchkey/shared'
import app from './app.js'
import { AuthApiConfigSchema } from './config.js'
import { argon2Build } from './credentials/argon2-build.js'
import { serverOptions } from './http/server-options.js'

const config = loadConfig(AuthApiConfigSchema)

const server = Fastify({
  logger: loggerOptions('auth-api', config.LOG_LEVEL, config.REPLICA_ID),
  ...serverOptions(config.TRUST_PROXY)
})

server.log[argon2Build.missingFeatures ? 'warn' : 'info']({ argon2: argon2Build }, `argon2: the ${argon2Build.build} build (${argon2Build.target})`)

// fp keeps the app's error handler and decorators on the root instance.
await server.register(fp(app), { config })

closeWithGrace({ delay: 10_000 }, async ({ err, signal }) => {
  if (err) server.log.error({ err }, 'closing after an error')
  else server.log.info({ signal }, 'closing')
  await server.close()
})

await server.listen({ host: config.HOST, port: config.PORT })
