import t from 'tap'
import { prune } from '../src/services/prune.js'
import { bearer, build, me, refresh, signIn, signUp, type TestApp, TestClock } from './helper.js'

async function tokenRows(app: TestApp, accessToken: string) {
  const sid = JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString()).sid
  return app.db.selectFrom('refresh_tokens').selectAll().where('session_id', '=', sid).orderBy('created_at').orderBy('retired_at').execute()
}

t.test('each refresh rotates: a new pair, the old refresh token retired', async (t) => {
  const app = await build(t)
  const user = await signUp(app)
  const res = await refresh(app, user.refresh)
  t.equal(res.statusCode, 200)
  t.equal(res.headers['cache-control'], 'no-store')
  const { tokens } = res.json()
  t.not(tokens.refresh_token, user.refresh)
  t.not(tokens.access_token, user.access)
  t.equal((await me(app, tokens.access_token)).statusCode, 200)
  t.equal((await me(app, user.access)).statusCode, 200, 'the earlier access token lives out its 15 minutes')
  const rows = await tokenRows(app, user.access)
  t.equal(rows.length, 2)
  t.ok(rows[0]!.retired_at, 'the presented token is retired')
  t.equal(rows[1]!.retired_at, null)
  const next = await refresh(app, tokens.refresh_token)
  t.equal(next.statusCode, 200, 'the new refresh token works in turn')
})

t.test('a retired token used after the grace interval ends the whole session', async (t) => {
  const clock = new TestClock()
  const app = await build(t, { clock })
  const user = await signUp(app)
  const otherDevice = await signIn(app, user.username)
  const rotated = (await refresh(app, user.refresh)).json().tokens

  clock.advance(10_000)
  const replay = await refresh(app, user.refresh)
  t.equal(replay.statusCode, 401)
  t.equal(replay.json().code, 'refresh_token_reused')
  t.match(replay.headers['www-authenticate'], /error="invalid_token"/)

  const successor = await refresh(app, rotated.refresh_token)
  t.equal(successor.statusCode, 401, 'the legitimate successor dies with the session')
  t.equal(successor.json().code, 'token_revoked')
  for (const access of [user.access, rotated.access_token]) {
    const res = await me(app, access)
    t.equal(res.statusCode, 401, "the session's access tokens are refused at once")
    t.equal(res.json().code, 'token_revoked')
  }
  t.equal((await me(app, otherDevice.access)).statusCode, 200, 'other sessions of the user are untouched')
  t.equal((await refresh(app, otherDevice.refresh)).statusCode, 200)
})

t.test('a retired token used within the grace interval is answered with the same successor', async (t) => {
  const clock = new TestClock()
  const app = await build(t, { clock })
  const user = await signUp(app)
  const firstTab = (await refresh(app, user.refresh)).json().tokens
  clock.advance(9_999)
  const secondTabRes = await refresh(app, user.refresh)
  t.equal(secondTabRes.statusCode, 200, 'a racing second tab is answered, not logged out')
  const secondTab = secondTabRes.json().tokens
  t.equal(secondTab.refresh_token, firstTab.refresh_token, 'both tabs now hold the one live refresh token')
  t.not(secondTab.access_token, firstTab.access_token, 'each gets an access token of its own')
  t.equal((await me(app, secondTab.access_token)).statusCode, 200)
  t.equal((await tokenRows(app, user.access)).length, 2, 'no second chain: the session has one live token')
  clock.advance(60_000)
  t.equal((await refresh(app, firstTab.refresh_token)).statusCode, 200, 'and the session goes on')
})

t.test("a late racer within the grace interval gets the chain's current token, never one already retired", async (t) => {
  const clock = new TestClock()
  const app = await build(t, { clock })
  const user = await signUp(app)
  // The clock stands still: A trades t0 for t1, B trades t1 for t2, then C presents t0.
  const t1 = (await refresh(app, user.refresh)).json().tokens.refresh_token
  const t2 = (await refresh(app, t1)).json().tokens.refresh_token
  const late = await refresh(app, user.refresh)
  t.equal(late.statusCode, 200)
  t.equal(late.json().tokens.refresh_token, t2, 'C holds the current token, not t1, which B already retired')
  t.equal((await refresh(app, t1)).json().tokens.refresh_token, t2, 'B\'s own t1, still within grace, likewise')
  const live = (await tokenRows(app, user.access)).filter((row) => row.retired_at === null)
  t.equal(live.length, 1, 'one live token in the session')
  clock.advance(60_000)
  const next = await refresh(app, late.json().tokens.refresh_token)
  t.equal(next.statusCode, 200, "C's next refresh, after the grace interval, is a rotation and not a reuse")

  // Racing: three refreshes at once of the token just issued, and each answer is the token the chain ends on.
  const t3 = next.json().tokens.refresh_token
  const racers = await Promise.all([refresh(app, t3), refresh(app, t3), refresh(app, t3)])
  t.same(racers.map((res) => res.statusCode), [200, 200, 200])
  const current = (await tokenRows(app, user.access)).filter((row) => row.retired_at === null)
  t.equal(current.length, 1)
  for (const res of racers) t.equal((await refresh(app, res.json().tokens.refresh_token)).statusCode, 200, 'every answer still works within grace')
})

t.test('replays within the grace interval mint nothing: a copied token still collides with the owner', async (t) => {
  const clock = new TestClock()
  const app = await build(t, { clock })
  const user = await signUp(app)
  const owner = (await refresh(app, user.refresh)).json().tokens
  for (let i = 0; i < 20; i++) {
    clock.advance(100)
    t.equal((await refresh(app, user.refresh)).json().tokens.refresh_token, owner.refresh_token)
  }
  const rows = await tokenRows(app, user.access)
  t.equal(rows.filter((row) => row.retired_at === null).length, 1, 'still one live token in the session')
  // Whoever replayed within the interval holds the owner's token: the first to use it retires it,
  // and the other's use after the interval is a reuse that ends the session.
  clock.advance(60_000)
  t.equal((await refresh(app, owner.refresh_token)).statusCode, 200)
  clock.advance(60_000)
  t.equal((await refresh(app, owner.refresh_token)).json().code, 'refresh_token_reused')
})

t.test('racing refreshes of one token: one rotation, everyone answered within grace', async (t) => {
  const app = await build(t)
  const user = await signUp(app)
  const results = await Promise.all(Array.from({ length: 8 }, () => refresh(app, user.refresh)))
  t.same(
    results.map((res) => res.statusCode),
    Array(8).fill(200),
  )
  const issued = new Set(results.map((res) => res.json().tokens.refresh_token))
  t.equal(issued.size, 1, 'every answer carries the one successor')
  const rows = await tokenRows(app, user.access)
  t.equal(rows.filter((row) => row.retired_at !== null).length, 1, 'the presented token was retired exactly once')
  t.equal(rows.length, 2)
  t.equal((await refresh(app, [...issued][0]!)).statusCode, 200, 'the successor works')
})

t.test('racing refreshes without a grace interval: exactly one winner, then theft detection', async (t) => {
  const app = await build(t, { env: { REFRESH_REUSE_INTERVAL: '0' } })
  for (let round = 0; round < 10; round++) {
    const user = await signUp(app)
    const results = await Promise.all([refresh(app, user.refresh), refresh(app, user.refresh), refresh(app, user.refresh)])
    const statuses = results.map((res) => res.statusCode).sort()
    t.same(statuses, [200, 401, 401], `round ${round}: concurrent refreshes of one token never both succeed`)
    for (const loser of results.filter((res) => res.statusCode === 401)) {
      t.ok(['refresh_token_reused', 'token_revoked'].includes(loser.json().code), loser.json().code)
    }
    const winner = results.find((res) => res.statusCode === 200)!.json().tokens
    t.equal((await refresh(app, winner.refresh_token)).json().code, 'token_revoked', 'the reuse ended the session')
    t.equal((await me(app, winner.access_token)).json().code, 'token_revoked')
    const rows = await tokenRows(app, user.access)
    t.equal(rows.filter((row) => row.retired_at !== null).length, 1, 'one rotation')
  }
})

t.test('logout racing refresh: afterwards nothing of the session works', async (t) => {
  const app = await build(t)
  for (let round = 0; round < 6; round++) {
    const user = await signUp(app)
    const [loggedOut, refreshed] = await Promise.all([
      app.call({ method: 'POST', url: '/v1/auth/logout', headers: bearer(user.access) }),
      refresh(app, user.refresh),
    ])
    t.equal(loggedOut.statusCode, 204)
    t.ok([200, 401].includes(refreshed.statusCode), `round ${round}: refresh ${refreshed.statusCode}`)
    if (refreshed.statusCode === 200) {
      const tokens = refreshed.json().tokens
      t.equal((await me(app, tokens.access_token)).json().code, 'token_revoked', 'the access token issued in the race is refused')
      t.equal((await refresh(app, tokens.refresh_token)).json().code, 'token_revoked')
    } else {
      t.equal(refreshed.json().code, 'token_revoked')
    }
    t.equal((await me(app, user.access)).json().code, 'token_revoked')
  }
})

t.test('idle expiry: a refresh token unused for REFRESH_TOKEN_TTL is dead', async (t) => {
  const clock = new TestClock()
  const app = await build(t, { clock, env: { REFRESH_TOKEN_TTL: '1h' } })
  const user = await signUp(app)
  clock.advance(3_600_000)
  const res = await refresh(app, user.refresh)
  t.equal(res.statusCode, 401)
  t.equal(res.json().code, 'token_expired')
})

t.test('absolute expiry: no refresh outlives SESSION_MAX_AGE', async (t) => {
  const clock = new TestClock()
  const app = await build(t, { clock, env: { REFRESH_TOKEN_TTL: '1h', SESSION_MAX_AGE: '150m', ACCESS_TOKEN_TTL: '5m' } })
  const user = await signUp(app)
  let refreshToken = user.refresh
  clock.advance(50 * 60_000)
  let tokens = (await refresh(app, refreshToken)).json().tokens
  t.equal(tokens.refresh_expires_in, 3600)
  refreshToken = tokens.refresh_token
  clock.advance(50 * 60_000)
  tokens = (await refresh(app, refreshToken)).json().tokens
  t.equal(tokens.refresh_expires_in, 50 * 60, 'capped by the end of the session')
  refreshToken = tokens.refresh_token
  clock.advance(50 * 60_000)
  const res = await refresh(app, refreshToken)
  t.equal(res.statusCode, 401)
  t.equal(res.json().code, 'token_expired')
  t.match(res.json().detail, /session/)
})

t.test('access tokens expire with ACCESS_TOKEN_TTL, refresh brings a new one', async (t) => {
  const clock = new TestClock()
  const app = await build(t, { clock, env: { ACCESS_TOKEN_TTL: '5m' } })
  const user = await signUp(app)
  t.equal((await me(app, user.access)).statusCode, 200, 'verified once, and remembered')
  clock.advance(5 * 60_000)
  const expired = await me(app, user.access)
  t.equal(expired.statusCode, 401)
  t.equal(expired.json().code, 'token_expired')
  t.match(expired.headers['www-authenticate'], /error="invalid_token"/)
  const fresh = (await refresh(app, user.refresh)).json().tokens
  t.equal(fresh.expires_in, 300)
  t.equal((await me(app, fresh.access_token)).statusCode, 200)
})

t.test('unknown refresh tokens and deactivated accounts are refused', async (t) => {
  const app = await build(t)
  const unknown = await refresh(app, 'x'.repeat(43))
  t.equal(unknown.statusCode, 401)
  t.equal(unknown.json().code, 'token_invalid')
  const user = await signUp(app)
  await app.db.updateTable('users').set({ is_active: false }).where('id', '=', user.id).execute()
  const inactive = await refresh(app, user.refresh)
  t.equal(inactive.statusCode, 401)
  t.equal(inactive.json().code, 'token_invalid')
  const missing = await app.call({ method: 'POST', url: '/v1/auth/refresh', payload: {} })
  t.equal(missing.statusCode, 400)
  t.same(missing.json().errors, [{ pointer: '/refresh_token', code: 'required', detail: 'is required' }])
})

t.test('REFRESH_ENABLED=false: no refresh tokens, and the endpoint refuses', async (t) => {
  const app = await build(t, { env: { REFRESH_ENABLED: 'false' } })
  const res = await app.call({
    method: 'POST',
    url: '/v1/auth/register',
    payload: { username: 'no-refresh-user', password: 'correct horse battery staple' },
  })
  t.equal(res.statusCode, 201)
  t.notOk('refresh_token' in res.json().tokens)
  t.notOk('refresh_expires_in' in res.json().tokens)
  const refused = await refresh(app, 'anything-at-all')
  t.equal(refused.statusCode, 403)
  t.equal(refused.json().code, 'refresh_disabled')
})

t.test('no access token outlives its session, so a pruned session leaves nothing usable', async (t) => {
  const clock = new TestClock()
  const app = await build(t, { clock, env: { SESSION_MAX_AGE: '20m', ACCESS_TOKEN_TTL: '15m' } })
  const user = await signUp(app)
  clock.advance(10 * 60_000)
  const late = (await refresh(app, user.refresh)).json().tokens
  t.equal(late.expires_in, 600, 'capped at the end of the session, 10 minutes away')
  clock.advance(11 * 60_000)
  await prune(app.db, new Date(clock.now()), app.config)
  t.equal((await me(app, late.access_token)).json().code, 'token_expired')
})
