import t from 'tap'
import { bearer, build, PASSWORD, signUp, TestClock, type TestApp } from './helper.js'

const list = (app: TestApp, access: string) => app.call({ method: 'GET', url: '/v1/auth/sessions', headers: bearer(access) })
const end = (app: TestApp, access: string, id: string) =>
  app.call({ method: 'DELETE', url: `/v1/auth/sessions/${id}`, headers: bearer(access) })
const sidOf = (access: string) => JSON.parse(Buffer.from(access.split('.')[1]!, 'base64url').toString()).sid as string

async function loginFrom(app: TestApp, username: string, userAgent: string, ip: string) {
  const res = await app.call({
    method: 'POST',
    url: '/v1/auth/login',
    payload: { username, password: PASSWORD },
    headers: { 'user-agent': userAgent },
    remoteAddress: ip,
  })
  return res.json().tokens as { access_token: string; refresh_token: string }
}

t.test('the caller sees their live sessions, and which one is theirs', async (t) => {
  const app = await build(t)
  const user = await signUp(app)
  const laptop = await loginFrom(app, user.username, 'Firefox on Linux', '10.9.0.1')
  const phone = await loginFrom(app, user.username, 'Safari on iPhone', '10.9.0.2')
  const res = await list(app, phone.access_token)
  t.equal(res.statusCode, 200)
  t.equal(res.headers['cache-control'], 'no-store')
  const sessions = res.json()
  t.equal(sessions.length, 3)
  t.same(
    sessions.map((session: { current: boolean }) => session.current),
    [true, false, false],
    'the most recently used first, this one marked',
  )
  t.match(sessions[0], { id: sidOf(phone.access_token), user_agent: 'Safari on iPhone', ip: '10.9.0.2' })
  t.match(sessions[1], { id: sidOf(laptop.access_token), user_agent: 'Firefox on Linux', ip: '10.9.0.1' })
})

t.test('ending a session: its tokens stop working, and it leaves the list', async (t) => {
  const app = await build(t)
  const user = await signUp(app)
  const lost = await loginFrom(app, user.username, 'Lost phone', '10.9.1.1')
  t.equal((await end(app, user.access, sidOf(lost.access_token))).statusCode, 204)
  t.equal((await app.call({ method: 'GET', url: '/v1/auth/me', headers: bearer(lost.access_token) })).json().code, 'token_revoked')
  const refreshed = await app.call({ method: 'POST', url: '/v1/auth/refresh', payload: { refresh_token: lost.refresh_token } })
  t.equal(refreshed.json().code, 'token_revoked')
  const remaining = (await list(app, user.access)).json()
  t.same(remaining.map((session: { id: string }) => session.id), [sidOf(user.access)])
  t.equal((await end(app, user.access, sidOf(lost.access_token))).statusCode, 204, 'ending it again is harmless')
})

t.test("another user's session is a 404 and stays alive; sessions never leak across users", async (t) => {
  const app = await build(t)
  const alice = await signUp(app)
  const mallory = await signUp(app)
  const attempt = await end(app, mallory.access, sidOf(alice.access))
  t.equal(attempt.statusCode, 404)
  t.equal(attempt.json().code, 'not_found')
  t.equal((await app.call({ method: 'GET', url: '/v1/auth/me', headers: bearer(alice.access) })).statusCode, 200)
  const seen = (await list(app, mallory.access)).json()
  t.same(seen.map((session: { id: string }) => session.id), [sidOf(mallory.access)])
  t.equal((await end(app, mallory.access, '00000000-0000-4000-8000-000000000000')).statusCode, 404, 'no such session')
  const malformed = await end(app, mallory.access, 'not-a-uuid')
  t.equal(malformed.statusCode, 400)
  t.equal(malformed.json().errors[0].pointer, '/id')
})

t.test('sessions that can no longer be used are not listed', async (t) => {
  const clock = new TestClock()
  const app = await build(t, { clock, env: { REFRESH_TOKEN_TTL: '1h', ACCESS_TOKEN_TTL: '5m' } })
  const user = await signUp(app)
  await loginFrom(app, user.username, 'Old tablet', '10.9.2.1')
  clock.advance(61 * 60_000)
  const fresh = await loginFrom(app, user.username, 'New laptop', '10.9.2.2')
  const sessions = (await list(app, fresh.access_token)).json()
  t.same(sessions.map((session: { user_agent: string }) => session.user_agent), ['New laptop'], 'idle past REFRESH_TOKEN_TTL: gone')
})
