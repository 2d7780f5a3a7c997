import envSchema from 'env-schema'
import type { Static, TObject } from 'typebox'

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
