// A tiny HTTPS client for the stack's self-signed certificate. Each request opens its own
// connection, so Nginx's least_conn spreads consecutive requests over the replicas.
import { request as httpsRequest } from 'node:https'
import { request as httpRequest } from 'node:http'

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

export async function call (url: string, { method = 'GET', headers = {}, json, form }: Call = {}): Promise<Reply> {
  const body = json !== undefined ? JSON.stringify(json) : form ? new URLSearchParams(form).toString() : undefined
  const contentType = json !== undefined ? { 'content-type': 'application/json' } : form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}
  const target = new URL(url)
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest
  return await new Promise((resolve, reject) => {
    const req = send(target, { method, headers: { ...contentType, ...headers }, rejectUnauthorized: false, agent: false, timeout: 15_000 }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString()
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json: () => JSON.parse(text) })
      })
    })
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)))
    req.on('error', reject)
    if (body !== undefined) req.write(body)
    req.end()
  })
}

export function basicAuth (email: string, password: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}` }
}
