// POST /v1/auth/verify (RFC 7662-style introspection) and the Bearer check of
// GET /v1/auth/me, against the usual ways of forging or replaying a JWT. Every
// forged token is made here with node:crypto, so the test depends on nothing
// that shares code with the service's own signing.
import { createHmac, randomBytes } from 'node:crypto'
import type { LightMyRequestResponse as Response } from 'fastify'
import t, { type Test } from 'tap'
import { bearer, build, signUp, testEnv, TestClock, uniqueName, type TestApp } from './helper.js'

type Claims = Record<string, unknown>

const SECRET = testEnv.JWT_SECRET!
const HS256_HEADER = { alg: 'HS256', typ: 'JWT' }
const WWW_INVALID_TOKEN = /^Bearer realm="keyturn", error="invalid_token"(, error_description="[^"]*")?$/

const b64url = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')

/** header.payload.signature, HMAC-signed with `key` under `hash` (whatever the header claims). */
function forge(header: object, payload: object, key: string | Buffer = SECRET, hash = 'sha256'): string {
  const input = `${b64url(header)}.${b64url(payload)}`
  return `${input}.${createHmac(hash, key).update(input).digest('base64url')}`
}

function claimsOf(token: string): Claims {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'))
}

function without(claims: Claims, name: string): Claims {
  const { [name]: _dropped, ...rest } = claims
  return rest
}

async function introspect(app: TestApp, token: string): Promise<Response> {
  return app.call({ method: 'POST', url: '/v1/auth/verify', payload: { token } })
}

async function me(app: TestApp, token: string): Promise<Response> {
  return app.call({ method: 'GET', url: '/v1/auth/me', headers: bearer(token) })
}

/** /verify says inactive, and says nothing else. */
async function assertInactive(t: Test, app: TestApp, token: string, what: string): Promise<void> {
  const res = await introspect(app, token)
  t.equal(res.statusCode, 200, `${what}: /verify answers 200`)
  t.same(res.json(), { active: false }, `${what}: /verify says inactive and leaks no claims`)
  t.equal(res.headers['cache-control'], 'no-store', `${what}: /verify is not cacheable`)
}

/** /me refuses with 401, the given code, and the RFC 6750 challenge. */
async function assertRefused(t: Test, app: TestApp, token: string, what: string, code = 'token_invalid'): Promise<void> {
  const res = await me(app, token)
  t.equal(res.statusCode, 401, `${what}: /me is 401`)
  t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8', `${what}: problem+json`)
  t.equal(res.json().code, code, `${what}: /me says ${code}`)
  t.match(res.headers['www-authenticate'], WWW_INVALID_TOKEN, `${what}: WWW-Authenticate names invalid_token`)
  t.notMatch(res.body, /"username"|"is_staff"/, `${what}: no account data in the refusal`)
}

async function assertRejected(t: Test, app: TestApp, token: string, what: string, code = 'token_invalid'): Promise<void> {
  await assertInactive(t, app, token, what)
  await assertRefused(t, app, token, what, code)
}

/** A user with a genuine token, its claims, and the service's current time in seconds. */
async function setup(t: Test, env: Record<string, string> = {}) {
  const clock = new TestClock()
  const app = await build(t, { clock, env })
  const account = await signUp(app, uniqueName('verify'))
  return { app, clock, account, claims: claimsOf(account.access), nowSeconds: () => Math.floor(clock.now() / 1000) }
}

t.test('a genuine token is active, with its claims; the same claims re-signed here are too', async (t) => {
  const { app, account, claims } = await setup(t)
  const res = await introspect(app, account.access)
  t.equal(res.statusCode, 200)
  t.equal(res.headers['cache-control'], 'no-store')
  const body = res.json()
  t.same(body, { active: true, ...claims }, 'active, with exactly the token claims')
  t.equal(body.sub, String(account.id))
  t.equal(body.username, account.username)
  t.equal(body.is_staff, false)
  t.equal(body.iss, 'keyturn')
  t.equal(body.aud, 'keyturn')

  const mine = await me(app, account.access)
  t.equal(mine.statusCode, 200)
  t.equal(mine.json().id, account.id)

  // The forger below is right: a token it signs with the real secret and real
  // claims is accepted, so every refusal that follows is about the one thing changed.
  const reforged = forge(HS256_HEADER, claims)
  t.same((await introspect(app, reforged)).json(), { active: true, ...claims }, 'forge() makes valid tokens')
  t.equal((await me(app, reforged)).statusCode, 200)
})

t.test('alg "none" is refused, however it is spelled and with or without the trailing dot', async (t) => {
  const { app, account, claims } = await setup(t)
  const [, payload, signature] = account.access.split('.')
  for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
    const header = b64url({ alg, typ: 'JWT' })
    await assertRejected(t, app, `${header}.${payload}.`, `alg ${alg}, trailing dot`)
    await assertRejected(t, app, `${header}.${payload}`, `alg ${alg}, no trailing dot`)
    await assertRejected(t, app, `${header}.${payload}.${signature}`, `alg ${alg}, genuine signature kept`)
  }
  const staff = b64url({ ...claims, is_staff: true })
  await assertRejected(t, app, `${b64url({ alg: 'none' })}.${staff}.`, 'alg none granting is_staff')
})

t.test('only HS256 is accepted: HS384 and HS512 with the right secret are refused', async (t) => {
  const { app, claims } = await setup(t)
  await assertRejected(t, app, forge({ alg: 'HS384', typ: 'JWT' }, claims, SECRET, 'sha384'), 'HS384')
  await assertRejected(t, app, forge({ alg: 'HS512', typ: 'JWT' }, claims, SECRET, 'sha512'), 'HS512')
  // The header says HS256 but the MAC is another hash: the lengths differ, it must not pass.
  await assertRejected(t, app, forge(HS256_HEADER, claims, SECRET, 'sha512'), 'HS256 header, HMAC-SHA512 signature')
})

t.test('algorithm confusion: RS256, ES256, PS256, EdDSA headers HMAC-signed with the shared secret', async (t) => {
  const { app, claims } = await setup(t)
  for (const alg of ['RS256', 'ES256', 'PS256', 'EdDSA', 'RS512']) {
    await assertRejected(t, app, forge({ alg, typ: 'JWT' }, claims), `${alg} signed with HMAC(secret)`)
  }
})

t.test('a wrong key is refused: forged, and a genuine token from another deployment', async (t) => {
  const { app, claims } = await setup(t)
  await assertRejected(t, app, forge(HS256_HEADER, claims, 'not-the-secret-but-just-as-long-as-it'), 'wrong secret')
  await assertRejected(t, app, forge(HS256_HEADER, claims, ''), 'empty key')
  await assertRejected(t, app, forge(HS256_HEADER, claims, `${SECRET}x`), 'secret with a byte more')
  await assertRejected(t, app, forge(HS256_HEADER, claims, SECRET.slice(0, -1)), 'secret with a byte less')

  const elsewhere = await build(t, { db: app.db, env: { JWT_SECRET: 'another-deployment-secret-at-least-32-bytes' } })
  const stranger = await signUp(elsewhere, uniqueName('elsewhere'))
  t.equal((await introspect(elsewhere, stranger.access)).json().active, true, 'valid where it was issued')
  await assertRejected(t, app, stranger.access, 'issued under another secret')
})

t.test('wrong iss or aud is refused, even when signed with the right secret', async (t) => {
  const { app, claims } = await setup(t)
  await assertRejected(t, app, forge(HS256_HEADER, { ...claims, iss: 'evil' }), 'iss evil')
  await assertRejected(t, app, forge(HS256_HEADER, { ...claims, iss: 'keyturn ' }), 'iss with a trailing space')
  await assertRejected(t, app, forge(HS256_HEADER, { ...claims, aud: 'another-service' }), 'aud another-service')
  await assertRejected(t, app, forge(HS256_HEADER, without(claims, 'iss')), 'no iss')
  await assertRejected(t, app, forge(HS256_HEADER, without(claims, 'aud')), 'no aud')

  // Same secret, other issuer or audience: keyturn's own tokens from a differently configured deployment.
  for (const env of [{ JWT_ISSUER: 'other-issuer' }, { JWT_AUDIENCE: 'other-audience' }]) {
    const other = await build(t, { db: app.db, env })
    const account = await signUp(other, uniqueName('other'))
    t.equal((await introspect(other, account.access)).json().active, true, `valid where issued (${JSON.stringify(env)})`)
    await assertRejected(t, app, account.access, `issued with ${JSON.stringify(env)}`)
  }
})

t.test('a token missing any required claim, or with a claim of the wrong type, is refused', async (t) => {
  const { app, claims } = await setup(t)
  // token_type ('access', as djangorestframework-simplejwt checks) when the service issues it.
  const required = ['sub', 'sid', 'jti', 'exp', 'iat', ...('token_type' in claims ? ['token_type'] : [])]
  for (const name of required) {
    await assertRejected(t, app, forge(HS256_HEADER, without(claims, name)), `no ${name}`)
  }
  if ('token_type' in claims) {
    await assertRejected(t, app, forge(HS256_HEADER, { ...claims, token_type: 'refresh' }), 'token_type refresh')
  }
  await assertRejected(t, app, forge(HS256_HEADER, { ...claims, sub: Number(claims.sub) }), 'sub as a number')
  await assertRejected(t, app, forge(HS256_HEADER, { ...claims, sid: 42 }), 'sid as a number')
  await assertRejected(t, app, forge(HS256_HEADER, { ...claims, exp: String(claims.exp) }), 'exp as a string')
  await assertRejected(t, app, forge(HS256_HEADER, { ...claims, exp: null }), 'exp null')
})

t.test('an expired token is refused with token_expired, measured on the injected clock', async (t) => {
  const { app, clock, account, claims } = await setup(t)
  const expMs = (claims.exp as number) * 1000
  clock.ms = expMs - 1
  t.equal((await introspect(app, account.access)).json().active, true, 'alive one millisecond before exp')
  t.equal((await me(app, account.access)).statusCode, 200)
  clock.ms = expMs
  await assertRejected(t, app, account.access, 'at exp', 'token_expired')
  clock.advance(24 * 3_600_000)
  await assertRejected(t, app, account.access, 'a day after exp', 'token_expired')
})

t.test('a token signed with an exp in the past is expired', async (t) => {
  const { app, claims, nowSeconds } = await setup(t)
  const stale = forge(HS256_HEADER, { ...claims, iat: nowSeconds() - 1000, exp: nowSeconds() - 100 })
  await assertRejected(t, app, stale, 'exp 100 s ago', 'token_expired')
})

t.test('a token whose nbf is still in the future is refused', async (t) => {
  const { app, claims, nowSeconds } = await setup(t)
  await assertRejected(t, app, forge(HS256_HEADER, { ...claims, nbf: nowSeconds() + 60 }), 'nbf in a minute')
  const ready = forge(HS256_HEADER, { ...claims, nbf: nowSeconds() - 1 })
  t.equal((await introspect(app, ready)).json().active, true, 'an nbf in the past is fine')
})

t.test('JWT_LEEWAY is honoured for exp and nbf, and only that far', async (t) => {
  const { app, clock, claims, nowSeconds } = await setup(t)
  const lenient = await build(t, { db: app.db, clock, env: { JWT_LEEWAY: '10' } })
  const justExpired = forge(HS256_HEADER, { ...claims, exp: nowSeconds() - 5 })
  const longExpired = forge(HS256_HEADER, { ...claims, exp: nowSeconds() - 15 })
  const almostValid = forge(HS256_HEADER, { ...claims, nbf: nowSeconds() + 5 })
  const notYetValid = forge(HS256_HEADER, { ...claims, nbf: nowSeconds() + 15 })

  t.equal((await introspect(lenient, justExpired)).json().active, true, 'expired 5 s ago, leeway 10 s: active')
  t.equal((await me(lenient, justExpired)).statusCode, 200, 'expired 5 s ago, leeway 10 s: /me accepts')
  t.equal((await introspect(lenient, almostValid)).json().active, true, 'nbf in 5 s, leeway 10 s: active')
  t.equal((await me(lenient, almostValid)).statusCode, 200)
  await assertRejected(t, lenient, longExpired, 'expired 15 s ago, leeway 10 s', 'token_expired')
  await assertRejected(t, lenient, notYetValid, 'nbf in 15 s, leeway 10 s')

  await assertRejected(t, app, justExpired, 'expired 5 s ago, no leeway', 'token_expired')
  await assertRejected(t, app, almostValid, 'nbf in 5 s, no leeway')
})

t.test('tampering with the payload or the header after signing is detected', async (t) => {
  const { app, account, claims } = await setup(t)
  const [header, payload, signature] = account.access.split('.') as [string, string, string]
  const swapPayload = (changed: Claims) => `${header}.${b64url(changed)}.${signature}`
  await assertRejected(t, app, swapPayload({ ...claims, is_staff: true }), 'is_staff flipped')
  await assertRejected(t, app, swapPayload({ ...claims, sub: '1' }), 'sub changed')
  await assertRejected(t, app, swapPayload({ ...claims, exp: (claims.exp as number) + 86_400 }), 'exp extended')
  await assertRejected(t, app, swapPayload({ ...claims, username: 'admin' }), 'username changed')

  const swapHeader = (changed: object) => `${b64url(changed)}.${payload}.${signature}`
  await assertRejected(t, app, swapHeader({ alg: 'HS256', typ: 'JWS' }), 'typ changed')
  await assertRejected(t, app, swapHeader({ alg: 'HS256', typ: 'JWT', kid: 'x' }), 'kid added')
  await assertRejected(t, app, swapHeader({ typ: 'JWT', alg: 'HS256' }), 'header keys reordered')

  // One character of the signature changed: the last character carries padding
  // bits, so change the first one.
  const flipped = signature[0] === 'A' ? 'B' : 'A'
  await assertRejected(t, app, `${header}.${payload}.${flipped}${signature.slice(1)}`, 'signature changed')
})

t.test('stripped signatures, extra segments, random data, oversized and empty tokens', async (t) => {
  const { app, account } = await setup(t)
  const [header, payload] = account.access.split('.') as [string, string, string]
  await assertRejected(t, app, `${header}.${payload}.`, 'signature stripped, dot kept')
  await assertRejected(t, app, `${header}.${payload}`, 'signature stripped')
  await assertRejected(t, app, `${account.access}.`, 'a fourth, empty segment')
  await assertRejected(t, app, `${account.access}.${b64url('extra')}`, 'a fourth segment')
  await assertRejected(t, app, `${account.access}.${b64url('a')}.${b64url('b')}`, 'five segments (JWE-shaped)')
  await assertRejected(t, app, randomBytes(96).toString('base64url'), 'random base64url')
  await assertRejected(t, app, [1, 2, 3].map(() => randomBytes(24).toString('base64url')).join('.'), 'random segments')
  await assertRejected(t, app, `${b64url('not json')}.${b64url('{"sub":')}.${b64url('x')}`, 'segments that are not JSON')
  await assertRejected(t, app, `${b64url([HS256_HEADER])}.${payload}.x`, 'header that is an array')
  await assertRejected(t, app, '..', 'only dots')
  await assertRejected(t, app, 'x'.repeat(8192), 'exactly 8192 characters')

  const empty = await introspect(app, '')
  t.equal(empty.statusCode, 400, 'an empty token breaks the spec (minLength)')
  t.equal(empty.json().code, 'validation_failed')
  t.match(empty.json().errors, [{ pointer: '/token', code: 'too_short' }])
  const emptyBearer = await app.call({ method: 'GET', url: '/v1/auth/me', headers: { authorization: 'Bearer ' } })
  t.equal(emptyBearer.statusCode, 401)
  t.equal(emptyBearer.json().code, 'token_invalid')
  t.match(emptyBearer.headers['www-authenticate'], WWW_INVALID_TOKEN)

  const huge = `${header}.${b64url('x'.repeat(9000))}.${randomBytes(32).toString('base64url')}`
  const tooLong = await introspect(app, huge)
  t.equal(tooLong.statusCode, 400, 'a 9000+ character token breaks the spec (maxLength 8192)')
  t.equal(tooLong.json().code, 'validation_failed')
  t.match(tooLong.json().errors, [{ pointer: '/token', code: 'too_long' }])
  await assertRefused(t, app, huge, '9000+ character bearer')

  for (const token of [42, null, ['a.b.c'], { token: account.access }]) {
    const res = await app.call({ method: 'POST', url: '/v1/auth/verify', payload: { token } })
    t.equal(res.statusCode, 400, `token ${JSON.stringify(token)} is a 400`)
    t.match(res.json(), { code: 'validation_failed', errors: [{ pointer: '/token', code: 'invalid_type' }] })
  }
})

t.test('kid, jku and jwk headers cannot choose the verification key', async (t) => {
  const { app, claims } = await setup(t)
  const cases: Array<[string, object, string]> = [
    ['kid pointing at /dev/null, signed with an empty key', { ...HS256_HEADER, kid: '../../../../../../dev/null' }, ''],
    ['kid with SQL, signed with the injected value', { ...HS256_HEADER, kid: "x' UNION SELECT 'attacker'--" }, 'attacker'],
    ['kid naming a file the attacker knows', { alg: 'HS256', typ: 'JWT', kid: '/proc/self/cwd/package.json' }, '{}'],
    ['kid naming the jwks', { alg: 'HS256', typ: 'JWT', kid: 'keyturn' }, 'keyturn'],
    ['jku to an attacker JWKS', { alg: 'HS256', typ: 'JWT', jku: 'https://attacker.example/jwks.json' }, 'attacker'],
    ['x5u to an attacker certificate', { alg: 'HS256', typ: 'JWT', x5u: 'https://attacker.example/cert.pem' }, 'attacker'],
    [
      'an embedded jwk carrying the attacker key',
      { alg: 'HS256', typ: 'JWT', jwk: { kty: 'oct', k: b64url('attacker-key') } },
      'attacker-key',
    ],
  ]
  for (const [what, header, key] of cases) await assertRejected(t, app, forge(header, claims, key), what)
})

t.test('a token of a logged-out session is revoked at once; the other sessions are not', async (t) => {
  const { app, clock, account } = await setup(t)
  const second = await app.call({
    method: 'POST',
    url: '/v1/auth/login',
    payload: { username: account.username, password: 'correct horse battery staple' },
  })
  t.equal(second.statusCode, 200)
  const otherDevice = second.json().tokens.access_token as string

  const logout = await app.call({ method: 'POST', url: '/v1/auth/logout', headers: bearer(account.access) })
  t.equal(logout.statusCode, 204)
  await assertRejected(t, app, account.access, 'after logout', 'token_revoked')
  t.equal((await introspect(app, otherDevice)).json().active, true, 'the other session is still active')
  t.equal((await me(app, otherDevice)).statusCode, 200)

  // A second instance, sharing the database, learns of the logout from the revocations table.
  const peer = await build(t, { db: app.db, clock })
  await assertRejected(t, peer, account.access, 'after logout, on another instance', 'token_revoked')

  const everywhere = await app.call({
    method: 'POST',
    url: '/v1/auth/logout',
    headers: bearer(otherDevice),
    payload: { scope: 'all' },
  })
  t.equal(everywhere.statusCode, 204)
  await assertRejected(t, app, otherDevice, 'after logout scope=all', 'token_revoked')
})
