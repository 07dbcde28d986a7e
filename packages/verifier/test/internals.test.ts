// The small parts on their own: the verified-token cache, the revocation set,
// the backoff, the Authorization header and keyturn's problem responses.
import t from 'tap'
import { VerifiedTokens } from '../src/lib/cache.js'
import type { AccessClaims } from '../src/lib/claims.js'
import { backoffMs } from '../src/lib/delay.js'
import { headerSchemes, tokenFromHeader } from '../src/lib/header.js'
import { problemResponse } from '../src/lib/problem.js'
import { RevocationSet } from '../src/lib/revocation-set.js'
import { manualClock } from './support/verifier.js'

const claims = (sid: string) => ({ sid }) as unknown as AccessClaims

t.test('the verified-token cache holds at most its size, forgetting the oldest first', async (t) => {
  const cache = new VerifiedTokens(3)
  for (const token of ['a', 'b', 'c', 'd']) cache.set(token, claims(token))
  t.equal(cache.count, 3)
  t.equal(cache.get('a'), undefined, 'the oldest went')
  t.same(['b', 'c', 'd'].map((token) => cache.get(token)?.sid), ['b', 'c', 'd'])
  cache.delete('c')
  cache.set('e', claims('e'))
  t.equal(cache.count, 3, 'a deleted entry frees its place')
  t.equal(cache.get('b')?.sid, 'b')

  const big = new VerifiedTokens(20_000)
  for (let i = 0; i < 50_000; i++) big.set(`token-${i}`, claims(String(i)))
  t.equal(big.count, 20_000, 'bounded under a flood of distinct tokens')
  t.equal(big.get('token-29999'), undefined)
  t.equal(big.get('token-30000')?.sid, '30000')

  const tokens = new VerifiedTokens(10)
  tokens.set('header.payload.signature', claims('genuine'))
  t.equal(tokens.get('header.payload.signature')?.sid, 'genuine')
  t.equal(tokens.get('header.forged-payload.signature'), undefined, 'the same signature on another token is a miss')
  tokens.delete('header.forged-payload.signature')
  t.equal(tokens.get('header.payload.signature')?.sid, 'genuine', 'and cannot evict the genuine one')

  const off = new VerifiedTokens(0)
  off.set('a', claims('a'))
  t.equal(off.count, 0, 'size 0 turns the cache off')
})

t.test('the revocation set keeps an entry until its exp plus the leeway', async (t) => {
  const clock = manualClock(1_000_000_000)
  const seconds = () => clock.now() / 1000
  const set = new RevocationSet(30_000, clock.now)
  set.merge([
    { sid: 'soon', exp: seconds() + 10 },
    { sid: 'later', exp: seconds() + 100 },
    { sid: 'long-gone', exp: seconds() - 31 },
    { sid: 'in-the-leeway', exp: seconds() - 29 },
  ])
  t.ok(set.has('soon') && set.has('later') && set.has('in-the-leeway'))
  t.notOk(set.has('long-gone'), 'already past exp + leeway: a token of it cannot pass anyway')

  set.merge([{ sid: 'soon', exp: seconds() + 5 }])
  clock.advance(39_000)
  set.merge([])
  t.ok(set.has('soon'), 'a second entry for a session never shortens the first')
  t.notOk(set.has('in-the-leeway'), 'swept once expired')
  clock.advance(2_000)
  set.merge([])
  t.notOk(set.has('soon'))
  t.ok(set.has('later'))
  t.equal(set.size, 1)

  set.replace([{ sid: 'only', exp: seconds() + 60 }])
  t.notOk(set.has('later'), 'replace forgets what the full answer does not hold')
  t.ok(set.has('only'))
})

t.test('backoff doubles from 100 ms to a 5 s cap, with up to half of it as jitter', async (t) => {
  t.same([1, 2, 3, 4].map((n) => backoffMs(n, () => 0)), [50, 100, 200, 400], 'the floor')
  t.same([1, 2, 3, 4].map((n) => backoffMs(n, () => 1)), [100, 200, 400, 800], 'the ceiling')
  t.equal(backoffMs(30, () => 1), 5_000, 'capped')
  t.equal(backoffMs(30, () => 0), 2_500)
})

t.test('the Authorization header, as keyturn reads it', async (t) => {
  const bearer = headerSchemes()
  const both = headerSchemes(['Bearer', 'JWT'])
  t.same(tokenFromHeader('Bearer abc', bearer), { kind: 'token', token: 'abc' })
  t.same(tokenFromHeader('bearer   abc  ', bearer), { kind: 'token', token: 'abc' }, 'the scheme is case-insensitive')
  t.same(tokenFromHeader(undefined, bearer), { kind: 'absent' })
  t.same(tokenFromHeader('Basic dXNlcjpwdw==', bearer), { kind: 'absent' }, 'another scheme is no credentials for us')
  t.same(tokenFromHeader('JWT abc', bearer), { kind: 'absent' })
  t.same(tokenFromHeader('jwt abc', both), { kind: 'token', token: 'abc' })
  t.same(tokenFromHeader('Bearer', bearer), { kind: 'malformed' })
  t.same(tokenFromHeader('Bearer a b', bearer), { kind: 'malformed' })
  t.throws(() => headerSchemes([]), /at least one/)
  t.throws(() => headerSchemes(['Bearer token']), /not an Authorization scheme/)
})

t.test("keyturn's problem responses", async (t) => {
  const none = problemResponse('not_authenticated')
  t.same(none.headers, { 'content-type': 'application/problem+json; charset=utf-8', 'www-authenticate': 'Bearer realm="keyturn"' })
  t.same(JSON.parse(none.body), {
    type: 'urn:keyturn:problem:not_authenticated',
    title: 'Authentication credentials were not provided.',
    status: 401,
    detail: 'Authentication credentials were not provided.',
    code: 'not_authenticated',
  })
  const expired = problemResponse('token_expired')
  t.equal(expired.headers['www-authenticate'], 'Bearer realm="keyturn", error="invalid_token", error_description="The token has expired."')
  const invalid = problemResponse('token_invalid', 'The token\'s "iss" claim is not accepted.')
  t.match(JSON.parse(invalid.body), { status: 401, title: 'The token is not valid.', detail: 'The token\'s "iss" claim is not accepted.' })
  const down = problemResponse('unavailable')
  t.equal(down.status, 503)
  t.same(down.headers, { 'content-type': 'application/problem+json; charset=utf-8', 'retry-after': '1' })
})
