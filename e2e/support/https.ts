// A small HTTPS client for the stack's self-signed certificate: undici's fetch on an Agent that
// accepts it (Node's own fetch takes a `dispatcher` too, but keeps its Agent to itself). Each
// request asks for `Connection: close` and so gets a connection of its own, so Nginx's least_conn
// spreads consecutive requests over the replicas.
import { Agent, fetch } from 'undici'

export interface Reply {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
  json: () => any
}

export interface Call {
  method?: string
  headers?: Record<string, string>
  json?: unknown
  form?: Record<string, string>
}

const selfSigned = new Agent({ connect: { rejectUnauthorized: false } })

export async function call (url: string, { method = 'GET', headers = {}, json, form }: Call = {}): Promise<Reply> {
  const body = json !== undefined ? JSON.stringify(json) : form ? new URLSearchParams(form).toString() : undefined
  const contentType = json !== undefined ? { 'content-type': 'application/json' } : form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}
  const response = await fetch(url, {
    method,
    // As a plain HTTP client sends them: no compression asked for, and the connection not kept.
    headers: { connection: 'close', 'accept-encoding': 'identity', ...contentType, ...headers },
    body,
    redirect: 'manual',
    dispatcher: selfSigned,
    signal: AbortSignal.timeout(15_000)
  }).catch((err: unknown) => { throw new Error(`${method} ${url} failed`, { cause: err }) })
  const text = await response.text()
  const received: Reply['headers'] = Object.fromEntries(response.headers)
  const cookies = response.headers.getSetCookie()
  if (cookies.length > 0) received['set-cookie'] = cookies
  return { status: response.status, headers: received, body: text, json: () => JSON.parse(text) }
}

export function basicAuth (email: string, password: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}` }
}
