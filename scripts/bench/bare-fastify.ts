// A bare Fastify route, the yardstick of `npm run bench`: `GET /me` through Nginx is compared
// with `GET /bare` through the same Nginx. The bench profile of the stack starts one per API
// replica (scripts/stack/components/bare-fastify.ts); no plugins, no logger, no database.
import Fastify from 'fastify'

const port = Number(process.env.PORT)
// As the API's: above Nginx's upstream keepalive_timeout (60 s), so Nginx closes idle connections first.
const app = Fastify({ keepAliveTimeout: 72_000 })

app.get('/bare', async () => ({ status: 'success', message: 'A bare Fastify route.' }))

await app.listen({ host: '127.0.0.1', port })
