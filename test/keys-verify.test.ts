// Tokens signed with JWT_KEYS: each algorithm verifies, and every way of
// choosing the key or the algorithm from the token itself is refused. Forged
// tokens are made here with node:crypto (keys-support.ts).
import { createHmac, createPublicKey } from 'node:crypto'
import t, { type Test } from 'tap'
import { bearer, build, signUp, uniqueName, type TestApp } from './helper.js'
import { ALGORITHMS, claimsOf, headerOf, keysEnv, privateJwk, publicPart, signWith, type Jwk } from './keys-support.js'

const SECRET = 'the-hs256-secret-of-this-test-file-32+bytes'
const b64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')
const hmac = (header: object, payload: object, key: string | Buffer) => {
  const input = `${b64url(header)}.${b64url(payload)}`
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`
}

/** Published keys sign at once (JWKS_MAX_AGE 0): these tests are about verifying, rotation-test.ts about waiting. */
async function appWith(t: Test, keys: Jwk[], secret?: string): Promise<TestApp> {
  return build(t, { env: { ...keysEnv(keys, secret), JWKS_MAX_AGE: '0' } })
}

async function assertRejected(t: Test, app: TestApp, token: string, what: string): Promise<void> {
  const verified = await app.call({ method: 'POST', url: '/v1/auth/verify', payload: { token } })
  t.same(verified.json(), { active: false }, `${what}: /verify says inactive`)
  const me = await app.call({ method: 'GET', url: '/v1/auth/me', headers: bearer(token) })
  t.equal(me.statusCode, 401, `${what}: /me is 401`)
  t.equal(me.json().code, 'token_invalid', `${what}: token_invalid`)
}

async function assertActive(t: Test, app: TestApp, token: string, what: string): Promise<void> {
  const verified = await app.call({ method: 'POST', url: '/v1/auth/verify', payload: { token } })
  t.equal(verified.json().active, true, `${what}: /verify says active`)
  t.equal((await app.call({ method: 'GET', url: '/v1/auth/me', headers: bearer(token) })).statusCode, 200, `${what}: /me accepts it`)
}

t.test('each algorithm signs with its kid in the header, and its tokens verify', async (t) => {
  for (const alg of ALGORITHMS) {
    const key = privateJwk(alg)
    const app = await appWith(t, [key])
    const account = await signUp(app, uniqueName(alg.toLowerCase()))
    t.same(headerOf(account.access), { alg, typ: 'JWT', kid: key.kid }, `${alg}: header {alg, typ, kid}`)
    await assertActive(t, app, account.access, alg)
    // The same claims signed here with the configured key pass too: the forgeries below differ in one thing.
    await assertActive(t, app, signWith(key, alg, { alg, typ: 'JWT', kid: key.kid }, claimsOf(account.access)), `${alg} re-signed here`)
    const refreshed = await app.call({ method: 'POST', url: '/v1/auth/refresh', payload: { refresh_token: account.refresh } })
    t.equal(refreshed.statusCode, 200, `${alg}: refresh works`)
    t.equal(headerOf(refreshed.json().tokens.access_token).kid, key.kid)
  }
})

t.test('HS256 alone issues tokens without a kid, as before; with keys it only verifies', async (t) => {
  const hsOnly = await build(t, { env: { JWT_SECRET: SECRET } })
  const account = await signUp(hsOnly, uniqueName('hs'))
  t.same(headerOf(account.access), { alg: 'HS256', typ: 'JWT' }, 'no kid')
  t.same((await hsOnly.call({ method: 'GET', url: '/.well-known/jwks.json' })).json(), { keys: [] }, 'nothing published')

  const key = privateJwk('EdDSA')
  const both = await appWith(t, [key], SECRET)
  await assertActive(t, both, account.access, 'an HS256 token beside keys')
  const signedNow = await signUp(both, uniqueName('both'))
  t.equal(headerOf(signedNow.access).kid, key.kid, 'the key signs once it may')
  const jwks = (await both.call({ method: 'GET', url: '/.well-known/jwks.json' })).json()
  t.same(jwks.keys.map((k: Jwk) => k.kid), [key.kid], 'the secret is never published')
  t.notMatch(JSON.stringify(jwks), SECRET)

  const keysOnly = await appWith(t, [key])
  await assertRejected(t, keysOnly, account.access, 'an HS256 token where no JWT_SECRET is configured')
})

t.test('alg none, algorithm confusion and foreign keys are refused', async (t) => {
  const keys = { EdDSA: privateJwk('EdDSA'), ES256: privateJwk('ES256'), RS256: privateJwk('RS256') }
  const app = await appWith(t, [keys.EdDSA, keys.ES256, keys.RS256], SECRET)
  const account = await signUp(app, uniqueName('confusion'))
  const claims = claimsOf(account.access)
  await assertActive(t, app, account.access, 'the genuine token')

  for (const alg of ALGORITHMS) {
    const key = keys[alg]
    const kid = key.kid!
    const publicKey = createPublicKey({ key: publicPart(key) as never, format: 'jwk' })
    const publicBytes = [
      publicKey.export({ type: 'spki', format: 'pem' }) as string,
      publicKey.export({ type: 'spki', format: 'der' }) as Buffer,
      JSON.stringify(publicPart(key)),
      JSON.stringify({ ...publicPart(key), use: 'sig' }),
    ]
    for (const [index, bytes] of publicBytes.entries()) {
      await assertRejected(t, app, hmac({ alg: 'HS256', typ: 'JWT', kid }, claims, bytes), `${alg} key: HS256 under its kid with its public key bytes (${index})`)
      await assertRejected(t, app, hmac({ alg: 'HS256', typ: 'JWT' }, claims, bytes), `${alg} key: HS256 without kid, HMAC'd with its public key bytes (${index})`)
    }
    for (const spelling of ['none', 'None', 'NONE']) {
      await assertRejected(t, app, `${b64url({ alg: spelling, typ: 'JWT', kid })}.${b64url(claims)}.`, `${alg} key: alg ${spelling}`)
    }
    for (const other of ALGORITHMS.filter((candidate) => candidate !== alg)) {
      // The header names this key, but the algorithm of another key, and is signed by that other key.
      await assertRejected(t, app, signWith(keys[other], other, { alg: other, typ: 'JWT', kid }, claims), `${alg} key named, ${other} used`)
    }
    const stranger = privateJwk(alg, kid)
    await assertRejected(t, app, signWith(stranger, alg, { alg, typ: 'JWT', kid }, claims), `${alg}: another key under the configured kid`)
    await assertRejected(t, app, signWith(stranger, alg, { alg, typ: 'JWT', kid: `${kid}-x` }, claims), `${alg}: an unknown kid`)
    await assertRejected(t, app, signWith(key, alg, { alg, typ: 'JWT' }, claims), `${alg}: the real key, but no kid`)
  }
  await assertRejected(t, app, hmac({ alg: 'HS256', typ: 'JWT', kid: 'hs256' }, claims, SECRET), 'the secret under a kid')
  await assertRejected(t, app, hmac({ alg: 'HS384', typ: 'JWT' }, claims, SECRET), 'HS384 with the secret')
  await assertRejected(t, app, signWith(keys.EdDSA, 'EdDSA', { alg: 'EdDSA', typ: 'JWT', kid: 42 }, claims), 'a kid that is a number')
})

t.test('a token cannot bring its own key or demand extensions: jku, x5u, jwk, x5c, crit are refused', async (t) => {
  const key = privateJwk('ES256')
  const app = await appWith(t, [key])
  const account = await signUp(app, uniqueName('headers'))
  const claims = claimsOf(account.access)
  const base = { alg: 'ES256', typ: 'JWT', kid: key.kid }
  // Each is signed with the configured key itself: only the extra header member is wrong.
  await assertActive(t, app, signWith(key, 'ES256', base, claims), 'the plain header')
  const attacker = privateJwk('ES256')
  const cases: [string, object][] = [
    ['jku', { ...base, jku: 'https://attacker.example/jwks.json' }],
    ['x5u', { ...base, x5u: 'https://attacker.example/cert.pem' }],
    ['jwk', { ...base, jwk: publicPart(attacker) }],
    ['x5c', { ...base, x5c: ['MIIBszCCAVmgAwIBAgIUQ'] }],
    ['crit', { ...base, crit: ['exp'], exp: 1 }],
    ['b64', { ...base, b64: false, crit: ['b64'] }],
  ]
  for (const [what, header] of cases) await assertRejected(t, app, signWith(key, 'ES256', header, claims), `${what}, signed by the configured key`)
  // And signed by the attacker's own key, as these headers would have it.
  const { kid: _kid, ...noKid } = base
  await assertRejected(t, app, signWith(attacker, 'ES256', { ...noKid, jwk: publicPart(attacker) }, claims), 'embedded jwk, attacker-signed')
  await assertRejected(t, app, signWith(attacker, 'ES256', { ...noKid, jku: 'https://attacker.example/jwks.json' }, claims), 'jku, attacker-signed')
})

t.test('a token of a removed key is refused; while configured, every key verifies', async (t) => {
  const [newer, older] = [privateJwk('EdDSA'), privateJwk('RS256')]
  const both = await appWith(t, [newer, older])
  const account = await signUp(both, uniqueName('removed'))
  const claims = claimsOf(account.access)
  const byOlder = signWith(older, 'RS256', { alg: 'RS256', typ: 'JWT', kid: older.kid }, claims)
  await assertActive(t, both, account.access, 'the newer key')
  await assertActive(t, both, byOlder, 'the older key, still configured')
  const afterRemoval = await appWith(t, [newer])
  await assertActive(t, afterRemoval, account.access, 'the remaining key')
  await assertRejected(t, afterRemoval, byOlder, 'the removed key')
})
