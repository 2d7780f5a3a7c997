import { createLocalJWKSet, jwtVerify } from 'jose'
import t from 'tap'
import { basicAuth, call } from './support/https.ts'
import { readCodeFromInbox } from './support/inbox.ts'
import { apiPorts, baseUrl, inboxApi, uniqueEmail } from './support/stack-env.ts'

t.test('register → inbox → verify → login → /me → refresh → logout, through Nginx', async (t) => {
  const email = uniqueEmail('journey')
  const password = 'journey-password'
  t.equal((await call(`${baseUrl()}/register`, { method: 'POST', json: { email, password } })).status, 201)
  const { code } = await readCodeFromInbox(inboxApi(), email)
  t.equal((await call(`${baseUrl()}/verify`, { method: 'POST', headers: basicAuth(email, password), json: { verification_code: code } })).status, 200)

  const login = await call(`${baseUrl()}/login`, { method: 'POST', form: { email, password } })
  t.equal(login.status, 200)
  const tokens = login.json()
  t.match(tokens, { token_type: 'Bearer', access_token: String, refresh_token: String })

  const me = await call(`${baseUrl()}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } })
  t.equal(me.status, 200)
  t.match(me.json().user, { email, activated: true })

  // Two tabs refreshing at once, answered by different replicas: the same successor for both.
  const [refreshed, alsoRefreshed] = await Promise.all([tokens, tokens].map(async ({ refresh_token: refreshToken }) =>
    await call(`${baseUrl()}/token/refresh`, { method: 'POST', json: { refresh_token: refreshToken } })))
  t.equal(refreshed!.status, 200)
  t.equal(alsoRefreshed!.status, 200)
  const next = refreshed!.json()
  t.equal(alsoRefreshed!.json().refresh_token, next.refresh_token, 'the session survives the race')

  const out = await call(`${baseUrl()}/logout`, { method: 'POST', json: { refresh_token: next.refresh_token } })
  t.equal(out.status, 200)
  t.equal((await call(`${baseUrl()}/token/refresh`, { method: 'POST', json: { refresh_token: next.refresh_token } })).status, 401)
  const afterLogout = await call(`${baseUrl()}/me`, { headers: { authorization: `Bearer ${next.access_token}` } })
  t.equal(afterLogout.status, 401, 'the access token of the signed-out session no longer works')
  t.equal(afterLogout.json().code, 'TOKEN_REVOKED')
})

t.test('a token from one replica is accepted by every replica, and verifies with the JWKS through an independent library', async (t) => {
  const email = uniqueEmail('anyreplica')
  await call(`${baseUrl()}/register`, { method: 'POST', json: { email, password: 'testpassword' } })
  const { code } = await readCodeFromInbox(inboxApi(), email)
  await call(`${baseUrl()}/verify`, { method: 'POST', headers: basicAuth(email, 'testpassword'), json: { verification_code: code } })
  const [first, ...others] = apiPorts()
  const token = (await call(`http://127.0.0.1:${first}/login`, { method: 'POST', json: { email, password: 'testpassword' } })).json().access_token
  for (const port of others) {
    const me = await call(`http://127.0.0.1:${port}/me`, { headers: { authorization: `Bearer ${token}` } })
    t.equal(me.status, 200, `replica on ${port} accepts a token signed on ${first}`)
  }

  const jwks = await call(`${baseUrl()}/.well-known/jwks.json`)
  t.equal(jwks.status, 200)
  const keySet = { keys: jwks.json().keys }
  const { payload } = await jwtVerify(token, createLocalJWKSet(keySet), { issuer: baseUrl(), algorithms: ['EdDSA'], audience: 'latchkey' })
  t.equal(payload.email, email)
})
