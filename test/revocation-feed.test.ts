// GET /v1/auth/revocations: the feed local verifiers follow. Its contract
// (credentials, cursors, long polls, resync) and how fast a revocation on one
// instance reaches another one's feed (NOTIFY, with the poll as safety net).
import { sql } from 'kysely'
import t, { type Test } from 'tap'
import { loadConfig } from '../src/config.js'
import { prune } from '../src/services/prune.js'
import { build, createTestDb, fileDb, logout, serverUrl, signIn, signUp, TestClock, testEnv, verify, type TestApp } from './helper.js'

const FEED_TOKEN = 'feed-token-0123456789abcdef'
const NEXT_FEED_TOKEN = 'feed-token-next-0123456789abcdef'
const feedEnv = { REVOCATION_FEED_TOKENS: `${FEED_TOKEN},${NEXT_FEED_TOKEN}` }

interface FeedAnswer {
  cursor: string
  full: boolean
  revocations: { sid: string; exp: number }[]
}

function feed(app: TestApp, query = '', token: string | null = FEED_TOKEN) {
  return app.call({
    method: 'GET',
    url: `/v1/auth/revocations${query}`,
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
  })
}

async function read(t: Test, app: TestApp, query = ''): Promise<FeedAnswer> {
  const res = await feed(app, query)
  t.equal(res.statusCode, 200, `GET /v1/auth/revocations${query}`)
  return res.json() as FeedAnswer
}

const sidOf = (jwt: string): string => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()).sid
const expOf = (jwt: string): number => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()).exp

/** Polls until `check` holds; a deadline, not a sleep: under load it simply takes longer. */
async function eventually(what: string, check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

t.test('the feed is off until REVOCATION_FEED_TOKENS is set', async (t) => {
  const app = await build(t)
  const res = await feed(app)
  t.equal(res.statusCode, 404)
  t.equal(res.json().code, 'not_found')
  t.match(res.json().detail, /REVOCATION_FEED_TOKENS/)
})

t.test('it needs one of the configured credentials; either of two works, so they can rotate', async (t) => {
  const app = await build(t, { env: feedEnv })
  const none = await feed(app, '', null)
  t.equal(none.statusCode, 401)
  t.equal(none.json().code, 'not_authenticated')
  t.equal(none.headers['www-authenticate'], 'Bearer realm="keyturn"')
  for (const wrong of ['feed-token-0123456789abcdeF', 'x', `${FEED_TOKEN}x`]) {
    const refused = await feed(app, '', wrong)
    t.equal(refused.statusCode, 401, `${wrong} is refused`)
    t.equal(refused.json().code, 'token_invalid')
  }
  const account = await signUp(app)
  const asUser = await feed(app, '', account.access)
  t.equal(asUser.statusCode, 401, "a user's access token is not a feed credential")
  t.equal((await feed(app, '', FEED_TOKEN)).statusCode, 200)
  t.equal((await feed(app, '', NEXT_FEED_TOKEN)).statusCode, 200)
})

t.test('without a cursor: the whole live set; with one: what came after it', async (t) => {
  const app = await build(t, { env: feedEnv })
  const account = await signUp(app)
  const second = await signIn(app, account.username)

  const start = await read(t, app)
  t.equal(start.full, true, 'no cursor: the whole live set')
  t.match(start.cursor, /^\d+$/)
  t.notOk(start.revocations.some((entry) => entry.sid === sidOf(account.access)))

  const quiet = await read(t, app, `?after=${start.cursor}`)
  t.same(quiet, { cursor: start.cursor, full: false, revocations: [] }, 'nothing new, no wait: answered at once')

  t.equal((await logout(app, account.access)).statusCode, 204)
  let after: FeedAnswer | undefined
  await eventually('the logout reaches the feed', async () => {
    after = await read(t, app, `?after=${start.cursor}`)
    return after.revocations.length > 0
  })
  t.equal(after!.full, false)
  t.same(after!.revocations, [{ sid: sidOf(account.access), exp: expOf(account.access) }], 'the session, until its last token expires')
  t.ok(BigInt(after!.cursor) > BigInt(start.cursor), 'the cursor moved on')

  const everything = await read(t, app)
  t.ok(everything.revocations.some((entry) => entry.sid === sidOf(account.access)), 'and it is in the whole set')
  t.notOk(everything.revocations.some((entry) => entry.sid === sidOf(second.access)), 'the other session is not')
  t.same((await read(t, app, `?after=${after!.cursor}`)).revocations, [], 'nothing after the newest cursor')
})

t.test('a long poll is answered as soon as something is revoked', async (t) => {
  const app = await build(t, { env: feedEnv })
  const account = await signUp(app)
  const { cursor } = await read(t, app)
  const started = performance.now()
  const waiting = feed(app, `?after=${cursor}&wait=25`)
  // The wait has begun once the request is in flight; the logout then ends it.
  await new Promise((resolve) => setImmediate(resolve))
  t.equal((await logout(app, account.access)).statusCode, 204)
  const res = await waiting
  t.equal(res.statusCode, 200)
  t.same(res.json().revocations.map((entry: { sid: string }) => entry.sid), [sidOf(account.access)])
  t.ok(performance.now() - started < 25_000, 'before the wait ran out')
})

t.test('a long poll with nothing to say ends with the wait, the cursor unchanged', async (t) => {
  const app = await build(t, { env: feedEnv })
  const { cursor } = await read(t, app)
  const started = performance.now()
  const res = await feed(app, `?after=${cursor}&wait=1`)
  t.same(res.json(), { cursor, full: false, revocations: [] })
  t.ok(performance.now() - started >= 990, 'it waited')
})

t.test('closing the app answers the long polls still waiting', async (t) => {
  const { db } = await fileDb()
  const app = await build(t, { db, env: feedEnv })
  const { cursor } = await read(t, app)
  const waiting = feed(app, `?after=${cursor}&wait=30`)
  await new Promise((resolve) => setImmediate(resolve))
  const started = performance.now()
  await app.app.close()
  const res = await waiting
  t.equal(res.statusCode, 200)
  t.same(res.json().revocations, [])
  t.ok(performance.now() - started < 30_000, 'the close did not wait out the long poll')
})

t.test('cursors and waits that are not the spec’s are a 400', async (t) => {
  const app = await build(t, { env: feedEnv })
  for (const query of ['?after=abc', '?after=-1', '?after=1.5', '?after=01', '?after=', `?after=${'9'.repeat(16)}`, '?wait=31', '?wait=-1', '?wait=soon', '?wait=1.5']) {
    const res = await feed(app, query)
    t.equal(res.statusCode, 400, query)
    t.equal(res.json().code, 'validation_failed', query)
  }
})

t.test('a cursor it cannot continue gets the whole live set, flagged full', async (t) => {
  const clock = new TestClock()
  // A database of its own: what an instance holds depends on every live entry in it.
  const { db } = await createTestDb(t)
  const env = { ...feedEnv, ACCESS_TOKEN_TTL: '10m' }
  const app = await build(t, { db, env, clock })
  const { cursor } = await read(t, app)
  const early = await signUp(app)
  await logout(app, early.access)
  clock.advance(6 * 60_000)
  const late = await signUp(app)
  await logout(app, late.access)

  const future = await read(t, app, `?after=${Number(cursor) + 1_000_000}`)
  t.equal(future.full, true, 'a cursor from the future (a restored database): the whole set')
  t.same(future.revocations.map((entry) => entry.sid).filter((sid) => [sidOf(early.access), sidOf(late.access)].includes(sid)).sort(), [sidOf(early.access), sidOf(late.access)].sort())

  // The first logout's entry expires and is pruned; an instance started now holds only the second.
  clock.advance(5 * 60_000)
  await prune(db, new Date(clock.now()), loadConfig({ ...testEnv, JWT_LEEWAY: '0' }))
  const fresh = await build(t, { db, env, clock })
  const old = await read(t, fresh, `?after=${cursor}`)
  t.equal(old.full, true, 'a cursor from before what it holds: the whole set')
  t.ok(old.revocations.some((entry) => entry.sid === sidOf(late.access)))
  t.notOk(old.revocations.some((entry) => entry.sid === sidOf(early.access)), 'without what has expired')
})

t.test('a revocation on one instance reaches another one’s feed and tokens at once, not at its next poll', async (t) => {
  const { db } = await fileDb()
  const first = await build(t, { db, env: feedEnv })
  // An hour between polls: only the notification can explain a prompt arrival.
  const second = await build(t, { db, env: { ...feedEnv, DENYLIST_SYNC_INTERVAL: '1h' } })
  const account = await signUp(first)
  const { cursor } = await read(t, second)
  const waiting = feed(second, `?after=${cursor}&wait=25`)
  await new Promise((resolve) => setImmediate(resolve))
  t.equal((await logout(first, account.access)).statusCode, 204)
  const res = await waiting
  t.same(res.json().revocations.map((entry: { sid: string }) => entry.sid), [sidOf(account.access)], "the other instance's long poll got it")
  t.equal((await verify(second, account.access)).json().active, false, 'and its /verify refuses the token')
})

t.test('a notification lost while the listener reconnects loses no revocation', { skip: serverUrl ? false : 'needs a Postgres server to cut the listening connection' }, async (t) => {
  const { db } = await fileDb()
  const first = await build(t, { db, env: feedEnv })
  const second = await build(t, { db, env: { ...feedEnv, DENYLIST_SYNC_INTERVAL: '1h' } })
  const account = await signUp(first)
  // Cut every LISTEN connection of this database; the revocation commits while they are gone.
  await sql`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query like 'LISTEN %'`.execute(db)
  t.equal((await logout(first, account.access)).statusCode, 204)
  await eventually('the other instance refuses the token after reconnecting', async () => (await verify(second, account.access)).json().active === false)
  t.pass('the reconnect caught up from the table')
})
