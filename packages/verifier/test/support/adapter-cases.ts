// The same requests against the Fastify plugin and the Express middleware:
// both must answer exactly as keyturn does.
import type { Test } from 'tap'
import { assertProblem, get } from './http.js'
import type { KeyturnStub } from './keyturn-stub.js'
import { signHs256 } from './tokens.js'
import { eventually } from './verifier.js'

/** `base` serves GET /hello behind authentication (answering `{ hello: username, sub }`) and GET /open without it (answering `{ auth }`). */
export async function assertAdapterAnswers(t: Test, base: string, stub: KeyturnStub, clock: { advance(ms: number): void }) {
  const token = await signHs256({ sid: 'alive' })
  t.same((await get(`${base}/hello`, `Bearer ${token}`)).body, { hello: 'ada', sub: '42' }, 'a valid token passes')
  t.same((await get(`${base}/hello`, `bearer ${token}`)).body, { hello: 'ada', sub: '42' }, 'the scheme is case-insensitive')
  t.same((await get(`${base}/open`, `Bearer ${token}`)).body, { auth: null }, 'routes without the hook leave auth null')

  assertProblem(t, await get(`${base}/hello`), 'not_authenticated', 'no header')
  assertProblem(t, await get(`${base}/hello`, `Basic dXNlcjpwYXNz`), 'not_authenticated', 'another scheme')
  assertProblem(t, await get(`${base}/hello`, `JWT ${token}`), 'not_authenticated', 'JWT is not a default scheme')
  const malformed = await get(`${base}/hello`, 'Bearer')
  assertProblem(t, malformed, 'token_invalid', 'a scheme without a token')
  t.match(malformed.body, { detail: 'The Authorization header is malformed.' })
  assertProblem(t, await get(`${base}/hello`, 'Bearer not.a.jwt'), 'token_invalid', 'garbage')
  assertProblem(t, await get(`${base}/hello`, `Bearer ${await signHs256({ expiresIn: -5 })}`), 'token_expired', 'expired')

  stub.push({ sid: 'gone', exp: Math.floor(Date.now() / 1000) + 3600 })
  const revoked = `Bearer ${await signHs256({ sid: 'gone' })}`
  await eventually(async () => (await get(`${base}/hello`, revoked)).status === 401, 'the logout to reach the verifier')
  assertProblem(t, await get(`${base}/hello`, revoked), 'token_revoked', 'revoked')

  // keyturn stops answering; once the last answer is older than maxStaleness, fail closed.
  const requests = stub.feedRequests.length
  stub.setFeedMode('hang')
  stub.push({ sid: 'nudge', exp: Math.floor(Date.now() / 1000) + 3600 })
  await stub.feedRequested(requests + 1)
  clock.advance(5_001)
  assertProblem(t, await get(`${base}/hello`, `Bearer ${token}`), 'unavailable', 'stale feed')
}
