import amqplib, { type ChannelModel, type ConfirmChannel, type RecoveringChannelModel } from 'amqplib'

export interface BrokerLogger {
  info (obj: object, msg?: string): void
  warn (obj: object, msg?: string): void
  error (obj: object, msg?: string): void
}

export interface BrokerOptions {
  url: string
  /** Shown in the RabbitMQ management UI, to tell replicas apart. */
  connectionName: string
  log: BrokerLogger
  /** Runs after every (re)connect on a fresh confirm channel: declare topology, start consumers. */
  setup: (channel: ConfirmChannel) => Promise<void>
}

/**
 * One long-lived RabbitMQ connection that reconnects by itself (amqplib's opt-in recovery)
 * and hands out the confirm channel of the current connection. While the broker is away,
 * `channel` is null and callers keep their work (the outbox, unacked messages) for later.
 */
export class BrokerLink {
  #model: RecoveringChannelModel | undefined
  #channel: ConfirmChannel | null = null
  #closing = false

  constructor (private readonly options: BrokerOptions) {}

  get channel (): ConfirmChannel | null {
    return this.#channel
  }

  get connected (): boolean {
    return this.#channel !== null
  }

  async start (): Promise<void> {
    const { url, connectionName, log } = this.options
    const model = await amqplib.connect(url, {
      clientProperties: { connection_name: connectionName },
      recovery: {
        waitForConnect: false,
        initialDelay: 200,
        maxDelay: 5000,
        maxRetries: Infinity,
        setup: async (connection: ChannelModel) => {
          await this.#openChannel(connection)
          log.info({ connectionName }, 'broker connected')
        }
      }
    })
    model.on('disconnect', (err: Error) => {
      this.#channel = null
      if (!this.#closing) log.warn({ err: err?.message }, 'broker disconnected, reconnecting')
    })
    model.on('error', (err: Error) => log.warn({ err: err.message }, 'broker connection error'))
    model.on('connect-failed', (err: Error) => log.warn({ err: err.message }, 'broker connection attempt failed'))
    this.#model = model
  }

  /**
   * A channel can close alone (a channel-level error) while its connection lives on; the
   * connection's recovery would never notice, so the channel is reopened here.
   */
  async #openChannel (connection: ChannelModel): Promise<void> {
    const { log } = this.options
    const channel = await connection.createConfirmChannel()
    channel.on('error', (err: Error) => log.warn({ err }, 'broker channel error'))
    channel.on('close', () => {
      if (this.#channel !== channel) return
      this.#channel = null
      if (this.#closing) return
      setTimeout(() => {
        this.#openChannel(connection).catch((err: unknown) => log.warn({ err }, 'reopening the broker channel failed; waiting for reconnection'))
      }, 500).unref()
    })
    await this.options.setup(channel)
    this.#channel = channel
  }

  async close (): Promise<void> {
    this.#closing = true
    this.#channel = null
    await this.#model?.close().catch(() => {})
  }
}
