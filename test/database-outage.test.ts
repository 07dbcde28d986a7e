import net from 'node:net'
import t from 'tap'
import { createDb } from '../src/db/create-db.js'
import { bearer, build, createTestDb, serverUrl, signUp, sleep, type TestApp } from './helper.js'

/**
 * A TCP proxy in front of Postgres: cut() resets every connection (what a
 * server restart does to clients), down() also refuses new ones, up() lets
 * them through again.
 */
class FlakyProxy {
  readonly #sockets = new Set<net.Socket>()
  #server: net.Server | undefined
  port = 0

  constructor(private readonly target: URL) {}

  async up(): Promise<void> {
    this.#server = net.createServer((client) => {
      const upstream = net.connect(Number(this.target.port || 5432), this.target.hostname)
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket)
        socket.on('close', () => this.#sockets.delete(socket))
        socket.on('error', () => {})
      }
      client.pipe(upstream).pipe(client)
      client.on('close', () => upstream.destroy())
      upstream.on('close', () => client.destroy())
    })
    await new Promise<void>((resolve) => this.#server!.listen(this.port, '127.0.0.1', resolve))
    this.port = (this.#server.address() as net.AddressInfo).port
  }

  cut(): void {
    for (const socket of this.#sockets) socket.resetAndDestroy()
  }

  async down(): Promise<void> {
    this.cut()
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()))
    this.#server = undefined
  }
}

const skip = serverUrl ? false : 'needs a Postgres server (DATABASE_URL)'

t.test('a database that restarts: 503 while it is away, never 500, and recovery after', { skip }, async (t) => {
  const { url } = await createTestDb(t)
  const target = new URL(url!)
  const proxy = new FlakyProxy(target)
  await proxy.up()
  t.teardown(() => proxy.down())
  const proxied = new URL(target)
  proxied.port = String(proxy.port)
  const db = await createDb({ url: proxied.toString(), poolMax: 4, onPoolError: () => {} })
  t.teardown(() => db.destroy())
  // No user cache: every GET /me goes to the database this test takes away.
  const app = await build(t, { db, env: { USER_CACHE_TTL: '0' } })
  const user = await signUp(app)

  const expectUpOrUnavailable = (res: Awaited<ReturnType<TestApp['call']>>, what: string) => {
    t.ok([200, 503].includes(res.statusCode), `${what}: ${res.statusCode}`)
    if (res.statusCode === 503) {
      t.equal(res.json().code, 'unavailable')
      t.equal(res.headers['retry-after'], '1')
    }
  }

  // Every connection reset between requests: the pool notices and reconnects.
  proxy.cut()
  for (let i = 0; i < 3; i++) expectUpOrUnavailable(await app.call({ method: 'GET', url: '/v1/auth/me', headers: bearer(user.access) }), 'me after a reset')
  t.equal((await app.call({ method: 'GET', url: '/v1/auth/me', headers: bearer(user.access) })).statusCode, 200, 'recovered')

  // Connections reset in the middle of requests.
  const inFlight = Array.from({ length: 12 }, (_, i) =>
    i % 2
      ? app.call({ method: 'POST', url: '/v1/auth/login', payload: { username: user.username, password: 'correct horse battery staple' } })
      : app.call({ method: 'GET', url: '/v1/auth/me', headers: bearer(user.access) }),
  )
  await sleep(3)
  proxy.cut()
  for (const res of await Promise.all(inFlight)) expectUpOrUnavailable(res, 'request cut mid-flight')

  // The server is gone: a clear 503 for what needs it; liveness stays up.
  await proxy.down()
  const me = await app.call({ method: 'GET', url: '/v1/auth/me', headers: bearer(user.access) })
  t.equal(me.statusCode, 503)
  t.equal(me.json().code, 'unavailable')
  t.notMatch(me.body, /ECONN|postgres|terminat|stack/i, 'nothing of the cause leaks')
  const login = await app.call({ method: 'POST', url: '/v1/auth/login', payload: { username: user.username, password: 'x' } })
  t.equal(login.statusCode, 503)
  t.equal((await app.call({ method: 'GET', url: '/readyz' })).statusCode, 503)
  t.equal((await app.call({ method: 'GET', url: '/healthz' })).statusCode, 200)
  t.equal(
    (await app.call({ method: 'POST', url: '/v1/auth/verify', payload: { token: user.access } })).json().active,
    true,
    'verify answers from the denylist it holds while that is recent',
  )

  await proxy.up()
  let recovered = false
  for (let i = 0; i < 50 && !recovered; i++) {
    recovered = (await app.call({ method: 'GET', url: '/readyz' })).statusCode === 200
    if (!recovered) await sleep(100)
  }
  t.ok(recovered, 'ready again once the database is back')
  t.equal((await app.call({ method: 'GET', url: '/v1/auth/me', headers: bearer(user.access) })).statusCode, 200)
  const out = await app.call({ method: 'POST', url: '/v1/auth/logout', headers: bearer(user.access) })
  t.equal(out.statusCode, 204, 'writes work again')
})

t.test('when revocations cannot be synced for long, verify refuses to guess', { skip }, async (t) => {
  const { url } = await createTestDb(t)
  const proxy = new FlakyProxy(new URL(url!))
  await proxy.up()
  t.teardown(() => proxy.down())
  const proxied = new URL(url!)
  proxied.port = String(proxy.port)
  const db = await createDb({ url: proxied.toString(), poolMax: 2, onPoolError: () => {} })
  t.teardown(() => db.destroy())
  const app = await build(t, { db })
  const user = await signUp(app)
  await proxy.down()
  await sleep(5_500)
  const res = await app.call({ method: 'POST', url: '/v1/auth/verify', payload: { token: user.access } })
  t.equal(res.statusCode, 503, 'a logout may have happened that this instance cannot know of')
  t.equal(res.json().code, 'unavailable')
  await proxy.up()
  let active: unknown
  for (let i = 0; i < 30 && active !== true; i++) {
    await sleep(100)
    const again = await app.call({ method: 'POST', url: '/v1/auth/verify', payload: { token: user.access } })
    if (again.statusCode === 200) active = again.json().active
  }
  t.equal(active, true, 'back to answering once the sync catches up')
})
