// The bench's load generator: keep-alive HTTPS (or HTTP) requests from several concurrent loops.
import { Agent as HttpAgent, request as httpRequest } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'

export interface Answer {
  status: number
  body: string
}

export interface Client {
  send (url: string, method: string, options?: { body?: object, token?: string }): Promise<Answer>
  close (): void
}

/** One keep-alive connection per concurrent loop; the stack's certificate is self-signed. */
export function createClient (connections: number): Client {
  const tls = new HttpsAgent({ keepAlive: true, maxSockets: connections, rejectUnauthorized: false })
  const plain = new HttpAgent({ keepAlive: true, maxSockets: connections })
  return {
    async send (url, method, { body, token } = {}) {
      const target = new URL(url)
      const secure = target.protocol === 'https:'
      const payload = body ? JSON.stringify(body) : undefined
      const headers: Record<string, string> = {}
      if (payload) headers['content-type'] = 'application/json'
      if (token) headers.authorization = `Bearer ${token}`
      return await new Promise((resolve, reject) => {
        const req = (secure ? httpsRequest : httpRequest)(target, { method, agent: secure ? tls : plain, headers }, (res) => {
          let text = ''
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => { text += chunk })
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
        })
        req.on('error', reject)
        req.end(payload)
      })
    },
    close () {
      tls.destroy()
      plain.destroy()
    }
  }
}

export interface Throughput {
  /** Answers with the expected status. */
  ok: number
  perSecond: number
  seconds: number
  /** Answers with another status, counted by status; 0 counts requests that failed without one. */
  unexpected: Map<number, number>
  /** Milliseconds, over the answers with the expected status. */
  p50: number
  p99: number
}

/**
 * Runs `work` (which answers a status) from `concurrency` loops until `seconds` have passed; only
 * answers with the expected status count toward the rate, the others are listed by status.
 */
export async function measure (work: (i: number) => Promise<number>, options: { seconds: number, concurrency: number, expected: number }): Promise<Throughput> {
  const unexpected = new Map<number, number>()
  const latencies: number[] = []
  let next = 0
  const started = performance.now()
  const deadline = started + options.seconds * 1000
  await Promise.all(Array.from({ length: options.concurrency }, async () => {
    while (performance.now() < deadline) {
      const sent = performance.now()
      const status = await work(next++).catch(() => 0)
      if (status === options.expected) latencies.push(performance.now() - sent)
      else unexpected.set(status, (unexpected.get(status) ?? 0) + 1)
    }
  }))
  const seconds = (performance.now() - started) / 1000
  latencies.sort((a, b) => a - b)
  const percentile = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? NaN
  return { ok: latencies.length, perSecond: latencies.length / seconds, seconds, unexpected, p50: percentile(0.5), p99: percentile(0.99) }
}
