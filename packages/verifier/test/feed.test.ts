// The revocation feed as the verifier follows it: sync, long poll, resync,
// staleness (fail closed), refusal, backoff.
import t from 'tap'
import { SECRET, signHs256 } from './support/tokens.js'
import { startKeyturnStub, type KeyturnStub } from './support/keyturn-stub.js'
import { eventually, manualClock, rejectionCode, testVerifier } from './support/verifier.js'
import type { Test } from 'tap'
import type { RevocationFeedOptions } from '../src/index.js'

const inAnHour = () => Math.floor(Date.now() / 1000) + 3600

async function stubFor(t: Test): Promise<KeyturnStub> {
  const stub = await startKeyturnStub()
  t.teardown(() => stub.close())
  return stub
}

function feedOf(stub: KeyturnStub, options: Partial<RevocationFeedOptions> = {}): RevocationFeedOptions {
  return { url: stub.feedUrl, token: stub.feedToken, ...options }
}

t.test('ready() waits for the full sync; its entries are refused from then on', async (t) => {
  const stub = await stubFor(t)
  stub.push({ sid: 'logged-out', exp: inAnHour() })
  const verifier = testVerifier(t, { secret: SECRET, revocations: feedOf(stub) })
  await verifier.ready()
  t.match(stub.feedRequests[0], { after: null, wait: null, authorization: `Bearer ${stub.feedToken}` }, 'a full sync first')
  t.equal(await rejectionCode(verifier.verify(await signHs256({ sid: 'logged-out' }))), 'token_revoked')
  t.equal((await verifier.verify(await signHs256({ sid: 'still-in' }))).sid, 'still-in')
})

t.test('a logout committed while the verifier long-polls is refused, cached token or not', async (t) => {
  const stub = await stubFor(t)
  const verifier = testVerifier(t, { secret: SECRET, revocations: feedOf(stub) })
  await verifier.ready()
  const token = await signHs256({ sid: 'about-to-leave' })
  t.ok(await verifier.verify(token), 'valid, and now in the cache')
  await stub.feedRequested(2)
  t.match(stub.feedRequests[1], { after: '0', wait: '2' }, 'a long poll from the cursor, holding half of maxStaleness')
  stub.push({ sid: 'about-to-leave', exp: inAnHour() })
  await eventually(async () => (await rejectionCode(verifier.verify(token)).catch(() => 'accepted')) === 'token_revoked', 'the logout to arrive')
  t.equal(await rejectionCode(verifier.verify(token)), 'token_revoked')
  await stub.feedRequested(3)
  t.match(stub.feedRequests[2], { after: '1', wait: '2' }, 'and on from the new cursor')
})

t.test('wait is half of maxStaleness in whole seconds, at most 30', async (t) => {
  for (const [maxStaleness, wait] of [[5_000, '2'], [7_999, '3'], [120_000, '30']] as const) {
    const stub = await stubFor(t)
    const verifier = testVerifier(t, { secret: SECRET, revocations: feedOf(stub, { maxStaleness }) })
    await verifier.ready()
    await stub.feedRequested(2)
    t.equal(stub.feedRequests[1]!.wait, wait, `maxStaleness ${maxStaleness} ms`)
    await verifier.close()
  }
})

t.test('with a maxStaleness under 2 s (wait 0) the verifier paces its polls instead of spinning', async (t) => {
  const stub = await stubFor(t)
  const verifier = testVerifier(t, { secret: SECRET, revocations: feedOf(stub, { maxStaleness: 1_000 }) })
  await verifier.ready()
  await stub.feedRequested(5)
  const [, second, , , fifth] = stub.feedRequests
  t.equal(second!.wait, '0')
  // Three empty answers in between, each followed by a pause of maxStaleness / 4.
  t.ok(fifth!.at - second!.at >= 3 * 250 - 5, `3 empty polls took ${Math.round(fifth!.at - second!.at)} ms`)
})

t.test('a full answer replaces the set: a restored keyturn forgets, and the verifier with it', async (t) => {
  const stub = await stubFor(t)
  stub.push({ sid: 'a', exp: inAnHour() }, { sid: 'c', exp: inAnHour() })
  const verifier = testVerifier(t, { secret: SECRET, revocations: feedOf(stub) })
  await verifier.ready()
  const [a, b] = await Promise.all([signHs256({ sid: 'a' }), signHs256({ sid: 'b' })])
  t.equal(await rejectionCode(verifier.verify(a)), 'token_revoked')
  await stub.feedRequested(2)
  // The database is restored to one that has only "b": the verifier's cursor
  // (2) is now from the future, and the feed answers with the full set.
  stub.restore([{ sid: 'b', exp: inAnHour() }])
  await eventually(async () => (await rejectionCode(verifier.verify(b)).catch(() => 'accepted')) === 'token_revoked', 'the resync')
  t.ok(await verifier.verify(a), 'not merged: "a" is no longer revoked')
})

t.test('a cursor keyturn cannot read (400) makes the verifier start over with a full sync', async (t) => {
  const stub = await stubFor(t)
  const verifier = testVerifier(t, { secret: SECRET, revocations: feedOf(stub) })
  await verifier.ready()
  await stub.feedRequested(2)
  stub.failNextWith = 400
  stub.push({ sid: 'x', exp: inAnHour() })
  await stub.feedRequested(4)
  t.match(stub.feedRequests.slice(1, 4), [{ after: '0' }, { after: '1' }, { after: null }])
})

t.test('fail closed: unavailable until the first sync, and once the feed is stale', async (t) => {
  const stub = await stubFor(t)
  stub.setFeedMode('hang')
  const clock = manualClock()
  const token = await signHs256({ sid: 'someone', now: Math.floor(clock.now() / 1000) })
  const strict = testVerifier(t, { secret: SECRET, now: clock.now, revocations: feedOf(stub) })
  const lenient = testVerifier(t, { secret: SECRET, now: clock.now, revocations: feedOf(stub, { onStale: 'allow' }) })
  t.equal(await rejectionCode(strict.verify(token)), 'unavailable', 'never synced')
  t.ok(await lenient.verify(token), "onStale: 'allow' goes on without the feed")

  stub.setFeedMode('ok')
  await Promise.all([strict.ready(), lenient.ready()])
  t.ok(await strict.verify(token), 'synced')
  stub.push({ sid: 'revoked-before-the-outage', exp: inAnHour() })
  await eventually(() => stub.feedRequests.filter((seen) => seen.after === '1').length >= 2, 'both verifiers to take the entry and hold the next poll')
  stub.setFeedMode('hang')

  clock.advance(5_000)
  t.ok(await strict.verify(token), 'exactly maxStaleness old: still trusted')
  clock.advance(1)
  t.equal(await rejectionCode(strict.verify(token)), 'unavailable', 'stale: fails closed')
  t.ok(await lenient.verify(token), "stale, but 'allow'")
  const revoked = await signHs256({ sid: 'revoked-before-the-outage', now: Math.floor(clock.now() / 1000) })
  t.equal(await rejectionCode(lenient.verify(revoked)), 'token_revoked', "'allow' still refuses what it knows of")
  t.equal(await rejectionCode(strict.verify(await signHs256({ expiresIn: -1 }))), 'token_expired', 'a verdict on the token itself still wins')

  stub.setFeedMode('ok')
  await eventually(async () => (await strict.verify(token).then(() => true, () => false)), 'the feed to answer again')
})

t.test('keyturn refusing the feed token or having the feed off rejects ready(), and says why', async (t) => {
  const stub = await stubFor(t)
  const errors: Error[] = []
  const verifier = testVerifier(t, {
    secret: SECRET,
    revocations: { url: stub.feedUrl, token: 'wrong-feed-token', onError: (error) => errors.push(error) },
  })
  await t.rejects(verifier.ready(), { name: 'FeedError', status: 401, code: 'token_invalid', message: 'the revocation feed answered 401 token_invalid' })
  t.notOk(errors.some((error) => error.message.includes('wrong-feed-token')), 'the token is in no message')
  t.equal(await rejectionCode(verifier.verify(await signHs256())), 'unavailable')

  const off = await startKeyturnStub({ feed: false })
  t.teardown(() => off.close())
  const disabled = testVerifier(t, { secret: SECRET, revocations: feedOf(off) })
  await t.rejects(disabled.ready(), { status: 404, message: 'the revocation feed answered 404 not_found' })
})

t.test('while keyturn fails, reconnects back off exponentially: no tight loop', async (t) => {
  const stub = await stubFor(t)
  stub.setFeedMode('fail')
  const errors: Error[] = []
  const verifier = testVerifier(t, { secret: SECRET, revocations: feedOf(stub, { onError: (error) => errors.push(error) }) })
  await stub.feedRequested(6)
  const gaps = stub.feedRequests.slice(1, 6).map((seen, i) => seen.at - stub.feedRequests[i]!.at)
  // Failure n waits between half and all of 100 ms · 2^(n-1).
  gaps.forEach((gap, i) => t.ok(gap >= 50 * 2 ** i - 5, `retry ${i + 1} after ${Math.round(gap)} ms (at least ${50 * 2 ** i})`))
  t.match(errors[0], { name: 'FeedError', status: 503, message: 'the revocation feed answered 503 unavailable' })

  stub.setFeedMode('ok')
  await verifier.ready()
  t.ok(await verifier.verify(await signHs256()), 'recovers when keyturn does')
})

t.test('keyturn unreachable: the verifier keeps retrying with backoff and ready() waits', async (t) => {
  const stub = await startKeyturnStub()
  const feedUrl = stub.feedUrl
  await stub.close()
  const errors: Error[] = []
  const verifier = testVerifier(t, {
    secret: SECRET,
    revocations: { url: feedUrl, token: 'token', onError: (error) => errors.push(error) },
  })
  let settled = false
  void verifier.ready().then(
    () => (settled = true),
    () => (settled = true),
  )
  const startedAt = performance.now()
  await eventually(() => errors.length >= 4, 'four failed attempts')
  t.ok(performance.now() - startedAt >= 50 + 100 + 200 - 5, 'three backoffs between four attempts')
  t.match(errors[0]!.message, /could not be reached \(ECONNREFUSED\)/)
  t.notOk(settled, 'ready() neither resolves nor gives up while keyturn is down')
})

t.test('a long poll that never answers is given up on and the verifier reconnects', async (t) => {
  const stub = await stubFor(t)
  const errors: Error[] = []
  // maxStaleness 1 s: wait 0, and a request is presumed dead after 1 s.
  const verifier = testVerifier(t, { secret: SECRET, revocations: feedOf(stub, { maxStaleness: 1_000, onError: (error) => errors.push(error) }) })
  await verifier.ready()
  stub.setFeedMode('hang')
  const held = stub.feedRequests.length
  await eventually(() => errors.length > 0, 'the held request to time out')
  t.match(errors[0], { name: 'FeedError', message: 'the revocation feed did not answer in time' })
  await stub.feedRequested(held + 1)
  t.pass('and asked again')
})
