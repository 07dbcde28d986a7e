// Tokens signed with keyturn's published keys: EdDSA, ES256 and RS256 by kid,
// HS256 beside them during a migration, and how an unknown kid is handled.
import t from 'tap'
import { generateSigningKey, SECRET, signHs256, signWith } from './support/tokens.js'
import { startKeyturnStub } from './support/keyturn-stub.js'
import { rejection, rejectionCode, testVerifier } from './support/verifier.js'

t.test('each asymmetric algorithm, by the key its kid names', async (t) => {
  const stub = await startKeyturnStub()
  t.teardown(() => stub.close())
  const keys = await Promise.all([generateSigningKey('EdDSA'), generateSigningKey('ES256'), generateSigningKey('RS256')])
  stub.jwks = { keys: keys.map((key) => key.jwk) }
  const verifier = testVerifier(t, { jwksUrl: stub.jwksUrl })
  await verifier.ready()
  t.equal(stub.jwksRequests, 1, 'ready() fetched the JWKS')
  for (const key of keys) {
    const claims = await verifier.verify(await signWith(key, { sid: `sid-${key.alg}` }))
    t.equal(claims.sid, `sid-${key.alg}`, key.alg)
  }
  t.equal(stub.jwksRequests, 1, 'no refetch for known keys')
})

t.test('a key is used only with its own alg, and a token must name its key', async (t) => {
  const stub = await startKeyturnStub()
  t.teardown(() => stub.close())
  const ed = await generateSigningKey('EdDSA')
  const es = await generateSigningKey('ES256')
  stub.jwks = { keys: [ed.jwk, es.jwk] }
  const verifier = testVerifier(t, { jwksUrl: stub.jwksUrl })
  await verifier.ready()
  // The ES256 key's kid on a token that says EdDSA: jose finds no key whose alg is EdDSA under that kid.
  const mislabelled = await signWith(ed, { header: { kid: es.kid } })
  t.equal(await rejectionCode(verifier.verify(mislabelled)), 'token_invalid', 'kid of a key of another alg')
  const noKid = await signWith(ed, { header: { kid: undefined } })
  t.match(await rejection(verifier.verify(noKid)), { code: 'token_invalid', message: /name its key/ }, 'no kid')
  const stranger = await generateSigningKey('EdDSA', ed.kid)
  t.match(await rejection(verifier.verify(await signWith(stranger))), { code: 'token_invalid', message: /signature/ }, "another key under our kid")
  t.equal(await rejectionCode(verifier.verify(await signHs256())), 'token_invalid', 'HS256 without a secret configured')
})

t.test('an unknown kid within the cooldown does not refetch the JWKS', async (t) => {
  const stub = await startKeyturnStub()
  t.teardown(() => stub.close())
  const current = await generateSigningKey('EdDSA')
  const next = await generateSigningKey('EdDSA')
  stub.jwks = { keys: [current.jwk] }
  const verifier = testVerifier(t, { jwksUrl: stub.jwksUrl })
  await verifier.ready()
  stub.jwks = { keys: [next.jwk, current.jwk] }
  // jose's default cooldown (30 s) began with ready()'s fetch.
  t.match(await rejection(verifier.verify(await signWith(next))), { code: 'token_invalid', message: /not among/ })
  t.match(await rejection(verifier.verify(await signWith(next))), { code: 'token_invalid' })
  t.equal(stub.jwksRequests, 1, 'a stream of unknown kids cannot make the verifier hammer keyturn')
})

t.test('after the cooldown an unknown kid refetches the JWKS once, then the cooldown holds again', async (t) => {
  const stub = await startKeyturnStub()
  t.teardown(() => stub.close())
  const current = await generateSigningKey('ES256')
  const next = await generateSigningKey('ES256')
  const unknown = await generateSigningKey('ES256')
  stub.jwks = { keys: [current.jwk] }
  const cooldown = 1_000
  const verifier = testVerifier(t, { jwksUrl: stub.jwksUrl, jwksCooldown: cooldown })
  await verifier.ready()
  const fetchedAt = performance.now()
  t.equal(stub.jwksRequests, 1)

  // keyturn publishes its next key; the first tokens signed with it arrive together.
  stub.jwks = { keys: [next.jwk, current.jwk] }
  const [fromNext, fromUnknown] = await Promise.all([signWith(next), signWith(unknown)])
  while (performance.now() - fetchedAt <= cooldown) await new Promise((resolve) => setTimeout(resolve, 20))
  const burst = await Promise.allSettled([...Array(10)].flatMap(() => [verifier.verify(fromNext), verifier.verify(fromUnknown)]))
  const refetchedAt = performance.now()
  t.equal(stub.jwksRequests, 2, 'twenty verifies with unknown kids, one refetch')
  t.equal(burst.filter((outcome) => outcome.status === 'fulfilled').length, 10, 'the newly published key verifies')
  t.equal(await rejectionCode(verifier.verify(fromUnknown)), 'token_invalid', 'a kid keyturn never published')
  if (performance.now() - refetchedAt < cooldown) t.equal(stub.jwksRequests, 2, 'no refetch inside the new cooldown')
})

t.test('HS256 with the secret and keys from the JWKS, side by side', async (t) => {
  const stub = await startKeyturnStub()
  t.teardown(() => stub.close())
  const ed = await generateSigningKey('EdDSA')
  stub.jwks = { keys: [ed.jwk] }
  const verifier = testVerifier(t, { secret: SECRET, jwksUrl: stub.jwksUrl })
  await verifier.ready()
  t.equal((await verifier.verify(await signHs256({ sid: 'old' }))).sid, 'old', 'an HS256 token minted before the move')
  t.equal((await verifier.verify(await signWith(ed, { sid: 'new' }))).sid, 'new', 'a token signed with a published key')
})

t.test('keyturn unreachable: unavailable, not a verdict on the token', async (t) => {
  const stub = await startKeyturnStub()
  const key = await generateSigningKey('EdDSA')
  const jwksUrl = stub.jwksUrl
  await stub.close()
  const verifier = testVerifier(t, { jwksUrl })
  t.equal(await rejectionCode(verifier.verify(await signWith(key))), 'unavailable')
})

t.test('ready() rejects when the JWKS answers 4xx', async (t) => {
  const stub = await startKeyturnStub()
  t.teardown(() => stub.close())
  stub.jwksStatus = 404
  const verifier = testVerifier(t, { jwksUrl: stub.jwksUrl })
  await t.rejects(verifier.ready(), /JWKS .* answered 404/)
})

t.test('ready() keeps trying while the JWKS answers 503, and resolves once it answers', async (t) => {
  const stub = await startKeyturnStub()
  t.teardown(() => stub.close())
  stub.jwksStatus = 503
  const verifier = testVerifier(t, { jwksUrl: stub.jwksUrl })
  let ready = false
  const readied = verifier.ready().then(() => (ready = true))
  while (stub.jwksRequests < 2) await new Promise((resolve) => setTimeout(resolve, 10))
  t.notOk(ready, 'not ready while keyturn fails')
  stub.jwksStatus = 200
  await readied
  t.ok(ready)
})
