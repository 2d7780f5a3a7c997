import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { MongoClient, type Db } from 'mongodb'

declare module 'fastify' {
  interface FastifyInstance {
    db: Db
  }
}

export interface DatabaseOptions {
  url: string
  /** Overrides the database named in the URL; tests use a throwaway one. */
  databaseName?: string
}

async function database (fastify: FastifyInstance, options: DatabaseOptions): Promise<void> {
  const client = new MongoClient(options.url, {
    serverSelectionTimeoutMS: 3000,
    connectTimeoutMS: 3000,
    appName: 'latchkey-auth-api'
  })
  await client.connect()
  fastify.decorate('db', client.db(options.databaseName))
  fastify.addHook('onClose', async () => { await client.close() })
}

export default fp(database, { name: 'database' })
