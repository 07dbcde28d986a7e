// keyturn and the example microservice (@keyturn/verifier behind its Fastify
// plugin) as real processes: a logout answered by keyturn is refused by the
// microservice within a second, whatever ended the session; with keyturn
// gone the microservice fails closed, and it misses nothing when keyturn is back.
import { randomBytes } from 'node:crypto'
import t, { type Test } from 'tap'
import { createTestDb, serverUrl } from './helper.js'
import { freePort, request, spawnNode, startKeyturn, stop, tempDir, waitExit, waitReady, type Child } from './processes.js'

const JWT_SECRET = `verifier-test-${randomBytes(24).toString('hex')}`
const FEED_TOKEN = `feed-${randomBytes(24).toString('hex')}`
const PASSWORD = 'correct horse battery staple'
const NEW_PASSWORD = 'an entirely new passphrase 2026'

const keyturnEnv = {
  JWT_SECRET,
  REVOCATION_FEED_TOKENS: FEED_TOKEN,
  ARGON2_MEMORY_COST: '256',
  ARGON2_TIME_COST: '1',
  LOG_LEVEL: 'warn',
  RATE_LIMIT_ENABLED: 'false',
  REFRESH_REUSE_INTERVAL: '0',
}

async function keyturn(t: Test, env: Record<string, string>, port?: number): Promise<Child> {
  const server = await startKeyturn(t, { ...keyturnEnv, ...env }, port === undefined ? {} : { port })
  await waitReady(server)
  return server
}

async function microservice(t: Test, keyturnUrl: string): Promise<Child> {
  const service = await spawnNode(t, {
    args: ['examples/microservice/server.js'],
    env: { KEYTURN_URL: keyturnUrl, JWT_SECRET, REVOCATION_FEED_TOKEN: FEED_TOKEN, LOG_LEVEL: 'warn' },
  })
  await waitReady(service)
  return service
}

/** Where each test's keyturn keeps its data: a fresh database on the server, or a DATA_DIR. */
async function databaseEnv(t: Test): Promise<Record<string, string>> {
  if (serverUrl) {
    const { db, url } = await createTestDb(t)
    await db.destroy()
    return { DATABASE_URL: url!, MIGRATE_ON_START: 'true' }
  }
  return { DATA_DIR: await tempDir(t) }
}

interface Tokens {
  access: string
  refresh: string
}

async function signUp(server: Child): Promise<{ username: string } & Tokens> {
  const username = `user_${randomBytes(5).toString('hex')}`
  const res = await request(server, 'POST', '/v1/auth/register', { username, password: PASSWORD, email: `${username}@example.com` })
  if (res.status !== 201) throw new Error(`register: ${res.status} ${JSON.stringify(res.body)}`)
  return { username, access: res.body.tokens.access_token, refresh: res.body.tokens.refresh_token }
}

async function signIn(server: Child, username: string, password = PASSWORD): Promise<Tokens> {
  const res = await request(server, 'POST', '/v1/auth/login', { username, password })
  if (res.status !== 200) throw new Error(`login: ${res.status} ${JSON.stringify(res.body)}`)
  return { access: res.body.tokens.access_token, refresh: res.body.tokens.refresh_token }
}

const hello = (service: Child, access: string) => request(service, 'GET', '/hello', undefined, { authorization: `Bearer ${access}` })

/** Milliseconds until the microservice answers `status` (`code`) for this token; fails past the deadline. */
async function until(service: Child, access: string, status: number, code: string | undefined, ms = 30_000): Promise<number> {
  const started = performance.now()
  for (;;) {
    const res = await hello(service, access)
    if (res.status === status && (code === undefined || res.body?.code === code)) return performance.now() - started
    if (performance.now() - started > ms) throw new Error(`the microservice still answers ${res.status} ${JSON.stringify(res.body)}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

t.test('a logout answered by keyturn is refused by the microservice within a second', async (t) => {
  const server = await keyturn(t, await databaseEnv(t))
  const service = await microservice(t, server.url)
  const alice = await signUp(server)
  const ok = await hello(service, alice.access)
  t.equal(ok.status, 200)
  t.same(ok.body, { hello: alice.username, sub: ok.body.sub })

  const logout = await request(server, 'POST', '/v1/auth/logout', undefined, { authorization: `Bearer ${alice.access}` })
  t.equal(logout.status, 204)
  const elapsed = await until(service, alice.access, 401, 'token_revoked')
  t.ok(elapsed < 1_000, `refused ${elapsed.toFixed(0)} ms after the logout was answered`)
  const refused = await hello(service, alice.access)
  t.equal(refused.headers.get('content-type'), 'application/problem+json; charset=utf-8', "keyturn's own problem+json")
  t.match(refused.headers.get('www-authenticate'), /^Bearer realm="keyturn", error="invalid_token"/)
})

t.test('logout of the others or all, a password change and reuse detection reach the microservice too', async (t) => {
  const server = await keyturn(t, await databaseEnv(t))
  const service = await microservice(t, server.url)

  const bob = await signUp(server)
  const bobPhone = await signIn(server, bob.username)
  const bobTablet = await signIn(server, bob.username)
  t.equal((await request(server, 'POST', '/v1/auth/logout', { scope: 'others' }, { authorization: `Bearer ${bob.access}` })).status, 204)
  await until(service, bobPhone.access, 401, 'token_revoked')
  await until(service, bobTablet.access, 401, 'token_revoked')
  t.equal((await hello(service, bob.access)).status, 200, 'scope others: the session that asked stays')
  t.equal((await request(server, 'POST', '/v1/auth/logout', { scope: 'all' }, { authorization: `Bearer ${bob.access}` })).status, 204)
  await until(service, bob.access, 401, 'token_revoked')
  t.pass('scope all: every session refused')

  const carol = await signUp(server)
  const carolPhone = await signIn(server, carol.username)
  const changed = await request(server, 'POST', '/v1/auth/password/change', { old_password: PASSWORD, new_password: NEW_PASSWORD }, { authorization: `Bearer ${carol.access}` })
  t.equal(changed.status, 204)
  await until(service, carolPhone.access, 401, 'token_revoked')
  t.equal((await hello(service, carol.access)).status, 200, 'a password change keeps the session that made it')

  const dave = await signUp(server)
  const rotated = await request(server, 'POST', '/v1/auth/refresh', { refresh_token: dave.refresh })
  t.equal(rotated.status, 200)
  const reused = await request(server, 'POST', '/v1/auth/refresh', { refresh_token: dave.refresh })
  t.equal(reused.body?.code, 'refresh_token_reused', 'a retired refresh token presented again')
  await until(service, rotated.body.tokens.access_token, 401, 'token_revoked')
  t.pass('reuse detection ended the session for the microservice too')
})

t.test('keyturn gone: the microservice fails closed, then recovers without missing what was revoked meanwhile', { skip: serverUrl ? false : 'needs a second keyturn on a shared Postgres to revoke while the first is down' }, async (t) => {
  const databases = await databaseEnv(t)
  const port = await freePort()
  let followed = await keyturn(t, databases, port)
  const other = await keyturn(t, { ...databases, MIGRATE_ON_START: 'false' })
  const service = await microservice(t, followed.url)
  const erin = await signUp(other)
  const frank = await signUp(other)
  t.equal((await hello(service, erin.access)).status, 200)

  followed.child.kill('SIGTERM')
  t.same(await waitExit(followed), { code: 0, signal: null })
  await until(service, frank.access, 503, 'unavailable')
  t.pass('fails closed once the feed is older than maxStaleness')
  const closed = await hello(service, frank.access)
  t.equal(closed.headers.get('retry-after'), '1')

  // Revoked through the other instance while the followed one is down.
  t.equal((await request(other, 'POST', '/v1/auth/logout', undefined, { authorization: `Bearer ${erin.access}` })).status, 204)

  followed = await keyturn(t, { ...databases, MIGRATE_ON_START: 'false' }, port)
  await until(service, frank.access, 200, undefined)
  t.pass('recovers when keyturn is back')
  t.equal((await hello(service, erin.access)).body?.code, 'token_revoked', 'and refuses what was revoked while it was away')
  await stop(followed)
})
