import assert from 'node:assert/strict'
import { test } from 'node:test'
import { AuthError, errorFrom } from '../src/errors.ts'
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

test('sends the access token as a Bearer header', async () => {
  const w = world(() => new Response('{}'))
  assert.equal((await w.fetch(`${api}/v1/auth/me`)).status, 200)
  assert.deepEqual(w.sent.map((s) => s.authorization), ['Bearer old'])
  assert.deepEqual(w.renewed, [])
})

test('a 401 token_expired refreshes once and sends the request (body included) once more', async () => {
  const w = world((request) => (request.headers.get('authorization') === 'Bearer old' ? problem(401, 'token_expired') : new Response('{}')))
  const response = await w.fetch(`${api}/v1/things`, { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } })
  assert.equal(response.status, 200)
  assert.deepEqual(w.renewed, ['old'], 'the refresh replaces the token that was refused')
  assert.deepEqual(w.sent.map((s) => [s.authorization, s.body]), [['Bearer old', '{"a":1}'], ['Bearer new', '{"a":1}']])
})

test('a second 401 is returned as it is: one retry, not a loop', async () => {
  const w = world(() => problem(401, 'token_invalid'))
  assert.equal((await w.fetch(`${api}/v1/things`)).status, 401)
  assert.equal(w.sent.length, 2)
  assert.equal(w.renewed.length, 1)
})

test('token_revoked ends the session without a refresh; other 401s are left to the caller', async () => {
  const revoked = world(() => problem(401, 'token_revoked'))
  assert.equal((await revoked.fetch(`${api}/v1/things`)).status, 401)
  assert.equal(revoked.ended(), 1)
  assert.deepEqual(revoked.renewed, [])

  const other = world(() => problem(401, 'not_authenticated'))
  assert.equal((await other.fetch(`${api}/v1/things`)).status, 401)
  assert.deepEqual(other.renewed, [])
  assert.equal(other.ended(), 0)
})

test('a token this tab already sees as expired is refreshed before the request goes', async () => {
  const w = world(() => new Response('{}'), session('old', 500))
  await w.fetch(`${api}/v1/things`)
  assert.deepEqual(w.renewed, ['old'])
  assert.deepEqual(w.sent.map((s) => s.authorization), ['Bearer new'])
})

test('the token never goes to an origin that is not allowed', async () => {
  const w = world(() => new Response('{}'))
  await assert.rejects(w.fetch('https://elsewhere.test/collect'), (error: unknown) => error instanceof AuthError && error.code === 'origin_not_allowed')
  assert.equal(w.sent.length, 0)
})

test("errorFrom reads keyturn's problem+json, and names anything else unexpected_response", async () => {
  const keyturn = await errorFrom(problem(401, 'refresh_token_reused'))
  assert.equal(keyturn.code, 'refresh_token_reused')
  assert.equal(keyturn.status, 401)
  const proxy = await errorFrom(new Response('<html>bad gateway</html>', { status: 502, headers: { 'content-type': 'text/html' } }))
  assert.equal(proxy.code, 'unexpected_response')
  assert.equal(proxy.status, 502)
})
