import type { LoggerOptions } from 'pino'

/** Request parts that carry secrets; they must never reach a log line. */
export const redactedPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.current_password',
  '*.new_password',
  '*.code',
  '*.verification_code',
  '*.refresh_token',
  '*.access_token'
]

export function loggerOptions (service: string, level: string, instance?: string): LoggerOptions {
  return {
    level,
    base: { service, ...(instance ? { instance } : {}) },
    redact: { paths: redactedPaths, censor: '[redacted]' },
    timestamp: () => `,"time":"${new Date().toISOString()}"`
  }
}
