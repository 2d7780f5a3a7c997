// What `npm test` exports from the running test stack (.stack/test/env). Missing values fail
// the test with a clear message: these tests need the real stack, never a stand-in.
export function stackEnv (name: string): string {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is not set: run the e2e tests with \`npm test\`, which starts the stack they go through`)
  return value
}

export const baseUrl = (): string => stackEnv('E2E_BASE_URL')
export const inboxApi = (): string => stackEnv('INBOX_API')
export const apiPorts = (): number[] => stackEnv('API_PORTS').split(',').map(Number)

let counter = 0
/** A fresh address per call, so reruns and parallel files never collide. */
export function uniqueEmail (label: string): string {
  return `${label}.${Date.now().toString(36)}${(counter++).toString(36)}@e2e.example.com`
}
