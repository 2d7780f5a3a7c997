import envSchema from 'env-schema'
import { Type, type Static, type TObject } from 'typebox'
import { DEFAULT_EVENTS_EXCHANGE } from './events.js'

export class ConfigError extends Error {
  override name = 'ConfigError'
}

/**
 * Reads a service's configuration once, at startup, from environment-style key/values.
 * Unknown keys are dropped, defaults applied, numbers and booleans coerced, and a bad
 * value stops the process with a message naming the key.
 */
export function loadConfig<S extends TObject> (schema: S, source: Record<string, string | undefined> = process.env): Static<S> {
  try {
    return envSchema({ schema: structuredClone(schema) as never, data: source, env: false, dotenv: false }) as Static<S>
  } catch (err) {
    throw new ConfigError(`Invalid configuration: ${(err as Error).message}`)
  }
}

/** Settings every service has: where it listens, how much it logs, and the servers it shares. */
export function serviceConfigFields (defaultPort: number) {
  return {
    HOST: Type.String({ default: '127.0.0.1' }),
    PORT: Type.Integer({ default: defaultPort, minimum: 0, maximum: 65535 }),
    LOG_LEVEL: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),
    MONGO_URL: Type.String({ pattern: '^mongodb(\\+srv)?://' }),
    AMQP_URL: Type.String({ pattern: '^amqps?://' }),
    EVENTS_EXCHANGE: Type.String({ default: DEFAULT_EVENTS_EXCHANGE, minLength: 1 })
  }
}
