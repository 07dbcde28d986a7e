// Issue 6, item 3: the time claims of an access token must be ones keyturn
// could have issued. A token that lives longer than ACCESS_TOKEN_TTL, was
// issued in the future, or carries an iat or nbf that is not a number is
// refused, whatever key signed it. Forged here with node:crypto.
import { createHmac } from 'node:crypto'
import t, { type Test } from 'tap'
import { build, signUp, testEnv, TestClock, uniqueName, verify, type TestApp } from './helper.js'
import { claimsOf, keysEnv, privateJwk, signWith } from './keys-support.js'

const SECRET = testEnv.JWT_SECRET!
const TTL_SECONDS = 15 * 60
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

function hs256(payload: object): string {
  const input = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(payload)}`
  return `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`
}

const active = async (app: TestApp, token: string) => (await verify(app, token)).json().active as boolean

async function setup(t: Test, env: Record<string, string> = {}) {
  const clock = new TestClock()
  const app = await build(t, { clock, env })
  const account = await signUp(app, uniqueName('claims'))
  const now = () => Math.floor(clock.now() / 1000)
  return { app, clock, claims: claimsOf(account.access), now }
}

t.test('exp - iat may not exceed ACCESS_TOKEN_TTL (plus JWT_LEEWAY)', async (t) => {
  const { app, clock, claims, now } = await setup(t)
  t.equal(await active(app, hs256({ ...claims, iat: now(), exp: now() + TTL_SECONDS })), true, 'exactly the TTL')
  t.equal(await active(app, hs256({ ...claims, iat: now(), exp: now() + TTL_SECONDS + 1 })), false, 'a second longer')
  t.equal(await active(app, hs256({ ...claims, iat: now() - 86_400, exp: now() + 86_400 })), false, 'two days')
  const problem = await app.call({ method: 'GET', url: '/v1/auth/me', headers: { authorization: `Bearer ${hs256({ ...claims, iat: now(), exp: now() + 3600 })}` } })
  t.equal(problem.statusCode, 401)
  t.match(problem.json(), { code: 'token_invalid', detail: /ACCESS_TOKEN_TTL/ })

  const lenient = await build(t, { db: app.db, clock, env: { JWT_LEEWAY: '10' } })
  t.equal(await active(lenient, hs256({ ...claims, iat: now(), exp: now() + TTL_SECONDS + 10 })), true, 'TTL + leeway')
  t.equal(await active(lenient, hs256({ ...claims, iat: now(), exp: now() + TTL_SECONDS + 11 })), false, 'beyond TTL + leeway')

  const shortLived = await build(t, { db: app.db, clock, env: { ACCESS_TOKEN_TTL: '1500ms' } })
  const account = await signUp(shortLived, uniqueName('short'))
  t.equal(await active(shortLived, account.access), true, 'a TTL that is no whole number of seconds: its own tokens (exp rounded up) pass')
})

t.test('an iat in the future (beyond JWT_LEEWAY) is refused, and passes once it is no longer ahead', async (t) => {
  const { app, clock, claims, now } = await setup(t)
  const ahead = hs256({ ...claims, iat: now() + 60, exp: now() + 60 + TTL_SECONDS })
  t.equal(await active(app, ahead), false, 'issued a minute from now')
  const me = await app.call({ method: 'GET', url: '/v1/auth/me', headers: { authorization: `Bearer ${ahead}` } })
  t.match(me.json(), { code: 'token_invalid', detail: /future/ })
  clock.advance(60_000)
  t.equal(await active(app, ahead), true, 'a minute later it is an ordinary token (the check is on time, not cached)')

  const lenient = await build(t, { db: app.db, clock, env: { JWT_LEEWAY: '10' } })
  t.equal(await active(lenient, hs256({ ...claims, iat: now() + 5, exp: now() + 5 + TTL_SECONDS })), true, 'within leeway')
  t.equal(await active(lenient, hs256({ ...claims, iat: now() + 15, exp: now() + 15 + TTL_SECONDS })), false, 'beyond leeway')
})

t.test('iat must be a number; nbf, when present, too', async (t) => {
  const { app, claims, now } = await setup(t)
  const { iat: _iat, ...noIat } = claims
  for (const [what, payload] of [
    ['no iat', noIat],
    ['iat a string', { ...claims, iat: String(now()) }],
    ['iat null', { ...claims, iat: null }],
    ['iat an array', { ...claims, iat: [now()] }],
    ['nbf a string', { ...claims, nbf: String(now()) }],
    ['nbf null', { ...claims, nbf: null }],
    ['nbf true', { ...claims, nbf: true }],
    ['nbf an object', { ...claims, nbf: { at: now() } }],
  ] as const) {
    t.equal(await active(app, hs256(payload)), false, what)
  }
  t.equal(await active(app, hs256({ ...claims, nbf: now() })), true, 'a numeric nbf in the past is fine')
})

t.test('the same checks hold for tokens of an asymmetric key', async (t) => {
  const key = privateJwk('EdDSA')
  const { app, claims, now } = await setup(t, { ...keysEnv([key]), JWKS_MAX_AGE: '0' })
  const signed = (payload: object) => signWith(key, 'EdDSA', { alg: 'EdDSA', typ: 'JWT', kid: key.kid }, payload)
  t.equal(await active(app, signed({ ...claims, iat: now(), exp: now() + TTL_SECONDS })), true, 'a well-formed token')
  t.equal(await active(app, signed({ ...claims, iat: now(), exp: now() + 3600 })), false, 'an hour long')
  t.equal(await active(app, signed({ ...claims, iat: now() + 60, exp: now() + 60 + TTL_SECONDS })), false, 'issued in the future')
  t.equal(await active(app, signed({ ...claims, nbf: 'soon' })), false, 'nbf a string')
})
