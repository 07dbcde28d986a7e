// verify() on HS256 tokens: every outcome, every check, and forged tokens.
import { generateKeyPair, exportJWK, exportSPKI, SignJWT } from 'jose'
import t from 'tap'
import { VerifyError } from '../src/index.js'
import { accessClaims, AUDIENCE, ISSUER, SECRET, signHs256, unsecured } from './support/tokens.js'
import { manualClock, rejection, rejectionCode, testVerifier } from './support/verifier.js'

t.test('a genuine token gives its claims, frozen', async (t) => {
  const verifier = testVerifier(t, { secret: SECRET })
  await verifier.ready()
  const token = await signHs256({ sid: 'session-1', claims: { extra: { nested: true } } })
  const claims = await verifier.verify(token)
  t.match(claims, { token_type: 'access', iss: ISSUER, aud: AUDIENCE, sub: '42', sid: 'session-1', username: 'ada', is_staff: false })
  t.ok(Object.isFrozen(claims) && Object.isFrozen(claims.extra), 'shared between requests, so nobody may change it')
  t.equal(await verifier.verify(token), claims, 'the second verify is answered from the cache')
})

t.test('VerifyError carries a code and a message without the token', async (t) => {
  const verifier = testVerifier(t, { secret: SECRET })
  const token = await signHs256({ expiresIn: -60 })
  const error = await verifier.verify(token).catch((e: unknown) => e)
  t.type(error, VerifyError)
  t.equal((error as VerifyError).code, 'token_expired')
  t.equal((error as VerifyError).name, 'VerifyError')
  t.notOk((error as VerifyError).message.includes(token.split('.')[1]!))
})

t.test('token_invalid: garbage and every broken claim', async (t) => {
  const verifier = testVerifier(t, { secret: SECRET })
  const cases: Array<[string, Promise<string> | string]> = [
    ['empty string', ''],
    ['not a JWT', 'not-a-jwt'],
    ['three dots of nothing', '..'],
    ['wrong secret', signHs256({}, 'another-secret-of-at-least-thirty-two-bytes')],
    ['wrong issuer', signHs256({ claims: { iss: 'someone-else' } })],
    ['wrong audience', signHs256({ claims: { aud: 'another-service' } })],
    ['no issuer', signHs256({ claims: { iss: undefined } })],
    ['no audience', signHs256({ claims: { aud: undefined } })],
    ['no token_type', signHs256({ claims: { token_type: undefined } })],
    ['a refresh token_type', signHs256({ claims: { token_type: 'refresh' } })],
    ['no sid', signHs256({ claims: { sid: undefined } })],
    ['no sub', signHs256({ claims: { sub: undefined } })],
    ['numeric sub', signHs256({ claims: { sub: 42 } })],
    ['no jti', signHs256({ claims: { jti: undefined } })],
    ['no exp', signHs256({ claims: { exp: undefined } })],
    ['no iat', signHs256({ claims: { iat: undefined } })],
    ['no username', signHs256({ claims: { username: undefined } })],
    ['is_staff as a string', signHs256({ claims: { is_staff: 'true' } })],
    ['aud as an array', signHs256({ claims: { aud: [AUDIENCE] } })],
    ['nbf in the future', signHs256({ claims: { nbf: Math.floor(Date.now() / 1000) + 60 } })],
  ]
  for (const [name, token] of cases) {
    t.equal(await rejectionCode(verifier.verify(await token)), 'token_invalid', name)
  }
  t.equal(await rejectionCode(verifier.verify(undefined as unknown as string)), 'token_invalid', 'not a string')
})

t.test('token_expired', async (t) => {
  const verifier = testVerifier(t, { secret: SECRET })
  t.equal(await rejectionCode(verifier.verify(await signHs256({ expiresIn: -1 }))), 'token_expired')
})

t.test('leeway tolerates that much clock skew on exp and nbf, and no more', async (t) => {
  const strict = testVerifier(t, { secret: SECRET })
  const lenient = testVerifier(t, { secret: SECRET, leeway: 30 })
  const expiredRecently = await signHs256({ expiresIn: -10 })
  const expiredLongAgo = await signHs256({ expiresIn: -40 })
  const validSoon = await signHs256({ claims: { nbf: Math.floor(Date.now() / 1000) + 10 } })
  const validLater = await signHs256({ claims: { nbf: Math.floor(Date.now() / 1000) + 40 } })
  t.equal(await rejectionCode(strict.verify(expiredRecently)), 'token_expired')
  t.equal(await rejectionCode(strict.verify(validSoon)), 'token_invalid')
  t.ok(await lenient.verify(expiredRecently))
  t.ok(await lenient.verify(validSoon))
  t.equal(await rejectionCode(lenient.verify(expiredLongAgo)), 'token_expired')
  t.equal(await rejectionCode(lenient.verify(validLater)), 'token_invalid')
})

t.test('the cache never skips the time checks', async (t) => {
  const clock = manualClock()
  const verifier = testVerifier(t, { secret: SECRET, now: clock.now })
  const nowSeconds = Math.floor(clock.now() / 1000)
  const token = await signHs256({ now: nowSeconds, expiresIn: 60 })
  t.ok(await verifier.verify(token), 'valid now, and cached')
  clock.advance(61_000)
  t.equal(await rejectionCode(verifier.verify(token)), 'token_expired', 'the cached token expires on time')
  clock.advance(-61_000)
  t.ok(await verifier.verify(token), 'an expired token was dropped from the cache, not remembered as expired')

  const later = await signHs256({ now: nowSeconds, claims: { nbf: nowSeconds + 30 } })
  t.equal(await rejectionCode(verifier.verify(later)), 'token_invalid', 'not valid yet')
  clock.advance(31_000)
  t.ok(await verifier.verify(later), 'valid once nbf has passed')
  clock.advance(-31_000)
  t.equal(await rejectionCode(verifier.verify(later)), 'token_invalid', 'a cached token is checked against nbf again')
})

t.test('forgeries are token_invalid', async (t) => {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true })
  const pem = await exportSPKI(publicKey)
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256' }
  // A verifier that also trusts a JWKS would be the target of HS256-with-the-public-key.
  const verifier = testVerifier(t, { secret: SECRET, jwksUrl: 'http://127.0.0.1:9/.well-known/jwks.json' })

  t.match(await rejection(verifier.verify(unsecured())), { code: 'token_invalid', message: /algorithm/ }, 'alg none')
  t.equal(await rejectionCode(verifier.verify(unsecured({ claims: {} }).replace(/\.$/, '.c2ln'))), 'token_invalid', 'alg none with a signature')
  const hsWithPem = await new SignJWT(accessClaims()).setProtectedHeader({ alg: 'HS256', kid: 'k1' }).sign(new TextEncoder().encode(pem))
  t.match(await rejection(verifier.verify(hsWithPem)), { code: 'token_invalid', message: /signature/ }, 'HS256 signed with the public key PEM')
  const hsWithJwk = await new SignJWT(accessClaims()).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(JSON.stringify(jwk)))
  t.equal(await rejectionCode(verifier.verify(hsWithJwk)), 'token_invalid', 'HS256 signed with the public JWK')
  const hs384 = await new SignJWT(accessClaims()).setProtectedHeader({ alg: 'HS384' }).sign(new TextEncoder().encode(SECRET))
  t.equal(await rejectionCode(verifier.verify(hs384)), 'token_invalid', 'an algorithm keyturn does not use, with the right secret')
  const ps256 = await new SignJWT(accessClaims()).setProtectedHeader({ alg: 'PS256', kid: 'k1' }).sign(
    (await generateKeyPair('PS256')).privateKey,
  )
  t.match(await rejection(verifier.verify(ps256)), { code: 'token_invalid', message: /algorithm/ }, 'PS256')

  for (const header of [
    { jku: 'https://attacker.example/jwks.json' },
    { x5u: 'https://attacker.example/cert.pem' },
    { jwk },
    { x5c: ['MIIB'] },
  ]) {
    const name = Object.keys(header)[0]!
    const forged = await signHs256({ header })
    t.match(await rejection(verifier.verify(forged)), { code: 'token_invalid', message: `"${name}"` }, `HS256 with a ${name} header`)
    const embedded = await new SignJWT(accessClaims()).setProtectedHeader({ alg: 'RS256', kid: 'k1', ...header }).sign(privateKey)
    t.match(await rejection(verifier.verify(embedded)), { code: 'token_invalid', message: `"${name}"` }, `RS256 with a ${name} header`)
  }

  const [head, body, signature] = (await signHs256({ sid: 'mine' })).split('.')
  const otherBody = Buffer.from(JSON.stringify(accessClaims({ sid: 'theirs' }))).toString('base64url')
  t.equal(await rejectionCode(verifier.verify(`${head}.${otherBody}.${signature}`)), 'token_invalid', 'claims swapped under a signature')
})

t.test('algorithms narrows what is accepted', async (t) => {
  const verifier = testVerifier(t, { secret: SECRET, jwksUrl: 'http://127.0.0.1:9/jwks', algorithms: ['EdDSA'] })
  t.equal(await rejectionCode(verifier.verify(await signHs256())), 'token_invalid', 'HS256 is off though the secret is right')
})

t.test('options are checked at creation', async (t) => {
  const base = { issuer: ISSUER, audience: AUDIENCE }
  t.throws(() => testVerifier(t, { ...base }), /secret .* jwksUrl/)
  t.throws(() => testVerifier(t, { ...base, issuer: '', secret: SECRET }), /issuer/)
  t.throws(() => testVerifier(t, { ...base, secret: SECRET, algorithms: ['EdDSA'] }), /EdDSA.*jwksUrl/)
  t.throws(() => testVerifier(t, { ...base, jwksUrl: 'http://x/jwks', algorithms: ['HS256'] }), /HS256.*secret/)
  t.throws(() => testVerifier(t, { ...base, secret: SECRET, algorithms: ['none' as 'HS256'] }), /none/)
  t.throws(() => testVerifier(t, { ...base, jwksUrl: 'file:///etc/jwks.json' }), /jwksUrl/)
  t.throws(() => testVerifier(t, { ...base, secret: SECRET, leeway: -1 }), /leeway/)
  t.throws(() => testVerifier(t, { ...base, secret: SECRET, revocations: { url: 'http://x/feed', token: '' } }), /token/)
  t.throws(() => testVerifier(t, { ...base, secret: SECRET, revocations: { url: 'http://x/feed', token: 't', maxStaleness: 10 } }), /maxStaleness/)
  t.throws(
    () => testVerifier(t, { ...base, secret: SECRET, revocations: { url: 'http://x/feed', token: 't', onStale: 'maybe' as 'allow' } }),
    /onStale/,
  )
})

t.test('after close, verify is unavailable', async (t) => {
  const verifier = testVerifier(t, { secret: SECRET })
  const token = await signHs256()
  t.ok(await verifier.verify(token))
  await verifier.close()
  t.equal(await rejectionCode(verifier.verify(token)), 'unavailable')
})
