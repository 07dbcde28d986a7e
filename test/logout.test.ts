import t from 'tap'
import { prune } from '../src/services/prune.js'
import { type Account, bearer, build, countingDb, fileDb, logout, me, refresh, signIn, signUp, sleep, type TestApp, TestClock, verify } from './helper.js'


async function devices(app: TestApp, count: number): Promise<Account[]> {
  const first = await signUp(app)
  const rest = []
  for (let i = 1; i < count; i++) rest.push(await signIn(app, first.username))
  return [first, ...rest]
}

t.test('logout (scope session, the default) ends this session only, at once', async (t) => {
  const app = await build(t)
  const [laptop, phone] = await devices(app, 2)
  const res = await logout(app, laptop!.access)
  t.equal(res.statusCode, 204)
  t.equal(res.body, '')
  const refused = await me(app, laptop!.access)
  t.equal(refused.statusCode, 401)
  t.equal(refused.json().code, 'token_revoked')
  t.match(refused.headers['www-authenticate'], /^Bearer realm="keyturn", error="invalid_token"/)
  t.same((await verify(app, laptop!.access)).json(), { active: false })
  t.equal((await refresh(app, laptop!.refresh)).json().code, 'token_revoked')
  t.equal((await me(app, phone!.access)).statusCode, 200)
  t.equal((await verify(app, phone!.access)).json().active, true)
  t.equal((await logout(app, laptop!.access)).json().code, 'token_revoked', 'a second logout with the dead token is a 401')

  const [tablet] = await devices(app, 1)
  const labelledEmpty = await app.call({
    method: 'POST',
    url: '/v1/auth/logout',
    headers: { ...bearer(tablet!.access), 'content-type': 'application/json' },
    payload: '',
  })
  t.equal(labelledEmpty.statusCode, 204, 'Content-Type: application/json with no body, as many clients send it')
})

t.test('scope others keeps this session and ends the rest', async (t) => {
  const app = await build(t)
  const [laptop, phone, tablet] = await devices(app, 3)
  t.equal((await logout(app, laptop!.access, 'others')).statusCode, 204)
  t.equal((await me(app, laptop!.access)).statusCode, 200)
  t.equal((await refresh(app, laptop!.refresh)).statusCode, 200)
  for (const device of [phone!, tablet!]) {
    t.equal((await me(app, device.access)).json().code, 'token_revoked')
    t.equal((await refresh(app, device.refresh)).json().code, 'token_revoked')
  }
})

t.test('scope all ends every session of the user and no one else’s', async (t) => {
  const app = await build(t)
  const mine = await devices(app, 3)
  const [stranger] = await devices(app, 1)
  t.equal((await logout(app, mine[1]!.access, 'all')).statusCode, 204)
  for (const device of mine) t.equal((await me(app, device.access)).json().code, 'token_revoked')
  t.equal((await me(app, stranger!.access)).statusCode, 200)
})

t.test('two instances on one database: a logout on one is refused by the other within a second', async (t) => {
  const { db } = await fileDb()
  const first = await build(t, { db })
  // The default sync interval, as deployed.
  const second = await build(t, { db, env: { DENYLIST_SYNC_INTERVAL: '500ms' } })
  const [user] = await devices(first, 1)
  t.equal((await verify(second, user!.access)).json().active, true)

  t.equal((await logout(first, user!.access)).statusCode, 204)
  const loggedOutAt = performance.now()
  let honouredAfter = Infinity
  while (performance.now() - loggedOutAt < 3000) {
    if ((await verify(second, user!.access)).json().active === false) {
      honouredAfter = performance.now() - loggedOutAt
      break
    }
    await sleep(20)
  }
  t.ok(honouredAfter < 1000, `the other instance refused the token after ${Math.round(honouredAfter)} ms`)
  t.equal((await me(second, user!.access)).json().code, 'token_revoked')
})

t.test('an instance started after a logout knows of it from the start', async (t) => {
  const app = await build(t)
  const [user] = await devices(app, 1)
  await logout(app, user!.access)
  const late = await build(t, { db: app.db })
  t.equal((await me(late, user!.access)).json().code, 'token_revoked')
})

t.test('checking the denylist costs no database round trip', async (t) => {
  const counted = await countingDb()
  // A long sync interval, so the only queries counted are those requests make;
  // no user cache, so each /me shows its own query.
  const app = await build(t, { db: counted.db, env: { DENYLIST_SYNC_INTERVAL: '1h', USER_CACHE_TTL: '0' } })
  const users = await devices(app, 1)
  for (let i = 0; i < 20; i++) await logout(app, (await signIn(app, users[0]!.username)).access)
  const [live] = await devices(app, 1)

  counted.reset()
  for (let i = 0; i < 50; i++) t.equal((await verify(app, live!.access)).json().active, true)
  t.equal(counted.queries(), 0, '/verify answers from memory')
  for (let i = 0; i < 10; i++) await me(app, live!.access)
  t.equal(counted.queries(), 10, '/me costs exactly the one query that loads the user')
})

t.test('denylist entries expire with the tokens they cover, and prune removes them', async (t) => {
  const clock = new TestClock()
  const app = await build(t, { clock, env: { ACCESS_TOKEN_TTL: '10m', JWT_LEEWAY: '30' } })
  const [user] = await devices(app, 1)
  const sid = JSON.parse(Buffer.from(user!.access.split('.')[1]!, 'base64url').toString()).sid
  await logout(app, user!.access)
  const entry = await app.db.selectFrom('revocations').selectAll().where('session_id', '=', sid).executeTakeFirstOrThrow()
  const exp = JSON.parse(Buffer.from(user!.access.split('.')[1]!, 'base64url').toString()).exp
  t.equal(entry.expires_at.getTime(), exp * 1000 + 30_000, 'until the last token of the session expires, leeway included')

  clock.advance(10 * 60_000 + 29_000)
  t.equal((await me(app, user!.access)).json().code, 'token_revoked', 'inside the leeway the token is still refused as revoked')
  clock.advance(1_000)
  t.equal((await me(app, user!.access)).json().code, 'token_expired', 'after it, expiry alone refuses it')

  const counts = await prune(app.db, new Date(clock.now()), app.config)
  t.ok(counts.revocations >= 1)
  t.ok(counts.sessions >= 1, 'the revoked session whose tokens are all expired goes too')
  t.notOk(await app.db.selectFrom('revocations').select('id').where('session_id', '=', sid).executeTakeFirst())
})
