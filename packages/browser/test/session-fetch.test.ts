import t from 'tap'
import { errorFrom } from '../src/errors.ts'
import { createSessionFetch, type SessionFetchDeps } from '../src/session-fetch.ts'
import type { SharedSession } from '../src/tab-channel.ts'

const api = 'https://auth.example.test'

function session(accessToken: string, expiresInMs = 60_000): SharedSession {
  return { accessToken, expiresAt: Date.now() + expiresInMs, lifetimeMs: 60_000, issuedAt: Date.now(), user: null }
}

function problem(status: number, code: string): Response {
  return new Response(JSON.stringify({ type: `urn:keyturn:problem:${code}`, title: code, status, code }), {
    status,
    headers: { 'content-type': 'application/problem+json' },
  })
}

/** A client's surroundings: the tokens it holds, what its refresh hands out, and every request sent. */
function world(answer: (request: Request) => Response, start = session('old')) {
  let current: SharedSession | null = start
  const sent: Array<{ url: string; authorization: string | null; body: string }> = []
  const renewed: Array<string | null> = []
  let endedCalls = 0
  const deps: SessionFetchDeps = {
    send: async (input) => {
      const request = input as Request
      sent.push({ url: request.url, authorization: request.headers.get('authorization'), body: await request.clone().text() })
      return answer(request)
    },
    allowedOrigins: [api],
    current: () => current,
    canRefresh: () => true,
    renew: async (stale) => {
      renewed.push(stale)
      current = session('new')
      return current
    },
    ended: async () => {
      endedCalls++
      current = null
    },
  }
  return { fetch: createSessionFetch(deps), sent, renewed, ended: () => endedCalls }
}

t.test('sends the access token as a Bearer header', async (t) => {
  const w = world(() => new Response('{}'))
  t.equal((await w.fetch(`${api}/v1/auth/me`)).status, 200)
  t.same(w.sent.map((s) => s.authorization), ['Bearer old'])
  t.same(w.renewed, [])
})

t.test('a 401 token_expired refreshes once and sends the request (body included) once more', async (t) => {
  const w = world((request) => (request.headers.get('authorization') === 'Bearer old' ? problem(401, 'token_expired') : new Response('{}')))
  const response = await w.fetch(`${api}/v1/things`, { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } })
  t.equal(response.status, 200)
  t.same(w.renewed, ['old'], 'the refresh replaces the token that was refused')
  t.same(w.sent.map((s) => [s.authorization, s.body]), [['Bearer old', '{"a":1}'], ['Bearer new', '{"a":1}']])
})

t.test('a second 401 is returned as it is: one retry, not a loop', async (t) => {
  const w = world(() => problem(401, 'token_invalid'))
  t.equal((await w.fetch(`${api}/v1/things`)).status, 401)
  t.equal(w.sent.length, 2)
  t.equal(w.renewed.length, 1)
})

t.test('token_revoked ends the session without a refresh; other 401s are left to the caller', async (t) => {
  const revoked = world(() => problem(401, 'token_revoked'))
  t.equal((await revoked.fetch(`${api}/v1/things`)).status, 401)
  t.equal(revoked.ended(), 1)
  t.same(revoked.renewed, [])

  const other = world(() => problem(401, 'not_authenticated'))
  t.equal((await other.fetch(`${api}/v1/things`)).status, 401)
  t.same(other.renewed, [])
  t.equal(other.ended(), 0)
})

t.test('a token this tab already sees as expired is refreshed before the request goes', async (t) => {
  const w = world(() => new Response('{}'), session('old', 500))
  await w.fetch(`${api}/v1/things`)
  t.same(w.renewed, ['old'])
  t.same(w.sent.map((s) => s.authorization), ['Bearer new'])
})

t.test('the token never goes to an origin that is not allowed', async (t) => {
  const w = world(() => new Response('{}'))
  await t.rejects(w.fetch('https://elsewhere.test/collect'), { name: 'AuthError', code: 'origin_not_allowed' })
  t.equal(w.sent.length, 0)
})

t.test("errorFrom reads keyturn's problem+json, and names anything else unexpected_response", async (t) => {
  const keyturn = await errorFrom(problem(401, 'refresh_token_reused'))
  t.equal(keyturn.code, 'refresh_token_reused')
  t.equal(keyturn.status, 401)
  const proxy = await errorFrom(new Response('<html>bad gateway</html>', { status: 502, headers: { 'content-type': 'text/html' } }))
  t.equal(proxy.code, 'unexpected_response')
  t.equal(proxy.status, 502)
})
