import { EventEmitter, once } from 'node:events'
import { connect, createServer, type Socket } from 'node:net'

export interface HoldingRelay {
  port: number
  /** Resolves when the end of the mail for this event reaches the relay and is held back. */
  held: (eventId: string) => Promise<void>
  close: () => Promise<void>
}

// The line that ends a mail's DATA (RFC 5321 §4.1.1.4), and the header naming its event.
const endOfData = '\r\n.\r\n'
const eventIdHeader = /^X-Latchkey-Event-Id:[ \t]*(\S+)/im

/**
 * A TCP relay in front of a real SMTP server that forwards everything at once, except the end
 * of each event's first mail: that is held back `holdMs`, so the sender sits in the middle of
 * its send. If the sender dies meanwhile, the relay drops the upstream connection without the
 * end of data, and the server discards the mail: nothing was accepted, as with a real crash.
 * Later copies of the same event pass through unhindered.
 */
export async function startHoldingRelay (upstream: { host: string, port: number }, holdMs: number): Promise<HoldingRelay> {
  const heldEvents = new EventEmitter()
  const seen = new Set<string>()
  const sockets = new Set<Socket>()

  const server = createServer((client) => {
    const server = connect(upstream.port, upstream.host)
    for (const socket of [client, server]) {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.on('error', () => {})
    }
    server.pipe(client)
    server.on('close', () => client.destroy())
    client.on('close', () => server.destroy())

    // Bytes of the mail being sent since the last end of data, as latin1 so that offsets are bytes.
    let transaction = ''
    let queue = Promise.resolve()
    const forward = (bytes: Buffer): void => {
      if (bytes.length > 0 && !server.destroyed) server.write(bytes)
    }
    const relay = async (chunk: Buffer): Promise<void> => {
      const chunkStart = transaction.length
      transaction += chunk.toString('latin1')
      const end = transaction.indexOf(endOfData, Math.max(0, chunkStart - endOfData.length))
      if (end < 0) return forward(chunk)
      const eventId = eventIdHeader.exec(transaction.slice(0, end))?.[1]
      transaction = transaction.slice(end + endOfData.length)
      if (eventId === undefined || seen.has(eventId)) return forward(chunk)
      seen.add(eventId)
      // Hold from the final "." on: without it the server has not got the whole mail.
      const holdFrom = Math.max(end + 2 - chunkStart, 0)
      forward(chunk.subarray(0, holdFrom))
      heldEvents.emit(eventId)
      await new Promise((resolve) => setTimeout(resolve, holdMs))
      if (client.destroyed) return
      forward(chunk.subarray(holdFrom))
    }
    client.on('data', (chunk: Buffer) => { queue = queue.then(async () => await relay(chunk)) })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }

  return {
    port,
    held: async (eventId) => { await once(heldEvents, eventId) },
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => server.close(resolve))
    }
  }
}
