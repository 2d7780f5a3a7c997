import Fastify from 'fastify'
import closeWithGrace from 'close-with-grace'
import { loadConfig, loggerOptions, quietRequestLogController } from '@latchkey/shared'
import app from './app.js'
import { MailerConfigSchema } from './config.js'

const config = loadConfig(MailerConfigSchema)
// One line per request (requestLogging, registered by the app) instead of Fastify's two.
const fastify = Fastify({ logger: loggerOptions('mailer', config.LOG_LEVEL), logController: quietRequestLogController() })
await fastify.register(app, config)

// Long enough for in-flight mails (SMTP timeouts are 5 s each) to finish before we give up.
closeWithGrace({ delay: 20_000 }, async ({ signal, err }) => {
  if (err !== undefined) fastify.log.error({ err }, 'closing the mailer after an error')
  else fastify.log.info({ signal }, 'closing the mailer')
  await fastify.close()
})

try {
  await fastify.listen({ host: config.HOST, port: config.PORT })
} catch (err) {
  fastify.log.error({ err }, 'mailer could not start')
  process.exit(1)
}
