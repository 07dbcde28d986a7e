// Rotation end to end on a frozen clock: a key added is published at once but
// signs only after JWKS_MAX_AGE, counted from when the first instance
// published it, so every instance switches at the same moment; the old key's
// tokens verify until it is removed; nobody's session ends on the way.
import { Writable } from 'node:stream'
import t, { type Test } from 'tap'
import type { Db } from '../src/db/create-db.js'
import { createLogger } from '../src/logger.js'
import { bearer, build, createTestDb, login, me, refresh, signUp, TestClock, uniqueName, verify, type TestApp } from './helper.js'
import { headerOf, keysEnv, privateJwk, type Jwk } from './keys-support.js'

const MAX_AGE_MS = 10 * 60_000
const TTL_MS = 15 * 60_000

function instance(t: Test, db: Db, clock: TestClock, keys: Jwk[], env: Record<string, string> = {}) {
  return build(t, { db, clock, env: { ...keysEnv(keys, env.JWT_SECRET), ...env } })
}

const jwksKids = async (app: TestApp) => ((await app.call({ method: 'GET', url: '/.well-known/jwks.json' })).json().keys as Jwk[]).map((key) => key.kid)
let logins = 0
/** The kid of a fresh login's access token (each login is a session of its own). */
async function signingKid(app: TestApp, username: string): Promise<unknown> {
  const res = await login(app, username)
  logins++
  return headerOf(res.json().tokens.access_token).kid
}

/** Refreshes and returns the new refresh token; fails the test if the session did not survive. */
async function keepAlive(t: Test, app: TestApp, refreshToken: string, what: string): Promise<{ refresh: string; access: string }> {
  const res = await refresh(app, refreshToken)
  t.equal(res.statusCode, 200, `${what}: the session refreshes`)
  const tokens = res.json().tokens
  t.equal((await me(app, tokens.access_token)).statusCode, 200, `${what}: its new access token works`)
  return { refresh: tokens.refresh_token, access: tokens.access_token }
}

t.test('add a key, wait, remove the old one: every instance switches together and nobody is logged out', async (t) => {
  const { db } = await createTestDb(t)
  const clock = new TestClock()
  const [oldKey, newKey] = [privateJwk('ES256'), privateJwk('EdDSA')]
  logins = 0

  // A brand-new deployment: its only key signs at once.
  const first = await instance(t, db, clock, [oldKey])
  const account = await signUp(first, uniqueName('rotation'))
  t.equal(headerOf(account.access).kid, oldKey.kid, 'a brand-new deployment signs with its newest key at once')
  let session = await keepAlive(t, first, account.refresh, 'before the rotation')

  // Deploy [new, old]: one instance now, a second two minutes later.
  const start = clock.now()
  const a = await instance(t, db, clock, [newKey, oldKey])
  t.same(await jwksKids(a), [newKey.kid, oldKey.kid], 'the new key is published at once, newest first')
  t.equal(await signingKid(a, account.username), oldKey.kid, 'but the old key still signs')
  clock.advance(2 * 60_000)
  const b = await instance(t, db, clock, [newKey, oldKey])
  t.same(await jwksKids(b), [newKey.kid, oldKey.kid])
  t.equal(await signingKid(b, account.username), oldKey.kid, 'the later instance also waits')
  session = await keepAlive(t, b, session.refresh, 'mid-deploy, on the new instance')
  t.equal(headerOf(session.access).kid, oldKey.kid)

  // One millisecond before JWKS_MAX_AGE after the first publication, and at it.
  clock.ms = start + MAX_AGE_MS - 1
  t.equal(await signingKid(a, account.username), oldKey.kid, 'a: the old key until the moment')
  t.equal(await signingKid(b, account.username), oldKey.kid, 'b: the old key until the moment')
  const lastOfOld = (await login(a, account.username)).json().tokens.access_token as string
  logins++
  clock.ms = start + MAX_AGE_MS
  t.equal(await signingKid(a, account.username), newKey.kid, 'a: the new key from the moment on')
  t.equal(await signingKid(b, account.username), newKey.kid, 'b switches at the same moment, though it started 2 minutes later')
  session = await keepAlive(t, a, session.refresh, 'right after the switch')
  t.equal(headerOf(session.access).kid, newKey.kid, 'refresh signs with the new key too')

  for (const app of [a, b, first]) {
    t.equal((await verify(app, lastOfOld)).json().active, true, 'the old key\'s tokens still verify everywhere while it is configured')
  }
  const c = await instance(t, db, clock, [newKey, oldKey])
  t.equal(await signingKid(c, account.username), newKey.kid, 'an instance started after the switch signs with the new key')

  // Removing the old key while its tokens live: they stop verifying there.
  clock.advance(60_000)
  const removed = await instance(t, db, clock, [newKey])
  t.equal((await verify(removed, lastOfOld)).json().active, false, 'after removal, the old key\'s tokens do not verify')
  t.equal((await verify(a, lastOfOld)).json().active, true, 'where it is still configured they do')
  t.equal((await verify(removed, session.access)).json().active, true, 'the new key\'s tokens verify after the removal')
  session = await keepAlive(t, removed, session.refresh, 'after the removal')

  const sessions = await removed.call({ method: 'GET', url: '/v1/auth/sessions', headers: bearer(session.access) })
  t.equal(sessions.statusCode, 200)
  t.equal(sessions.json().length, 1 + logins, 'the sign-up session and every login\'s are still live: nothing ended any')
})

t.test('two instances starting together on an empty database agree', async (t) => {
  const { db } = await createTestDb(t)
  const clock = new TestClock()
  const keys = [privateJwk('EdDSA'), privateJwk('RS256')]
  const [a, b] = await Promise.all([instance(t, db, clock, keys), instance(t, db, clock, keys)])
  const account = await signUp(a, uniqueName('together'))
  t.equal(headerOf(account.access).kid, keys[0]!.kid)
  t.equal(await signingKid(b, account.username), keys[0]!.kid, 'both sign with the newest key at once')
  const rows = await db.selectFrom('signing_keys').select(['kid', 'first_published_at', 'signs_from']).execute()
  t.equal(rows.length, 2, 'each key recorded once')
})

t.test('from HS256 to keys without logging anyone out: the secret signs until the first key may', async (t) => {
  const { db } = await createTestDb(t)
  const clock = new TestClock()
  const secret = 'the-deployment-hs256-secret-at-least-32-bytes'
  const hs = await build(t, { db, clock, env: { JWT_SECRET: secret } })
  const account = await signUp(hs, uniqueName('migrate'))
  t.same(headerOf(account.access), { alg: 'HS256', typ: 'JWT' })

  const key = privateJwk('ES256')
  const moved = await instance(t, db, clock, [key], { JWT_SECRET: secret })
  t.same(await jwksKids(moved), [key.kid], 'the key is published, the secret never')
  t.equal(await signingKid(moved, account.username), undefined, 'with a secret beside it, even the first key waits: HS256 signs meanwhile')
  let session = await keepAlive(t, moved, account.refresh, 'HS256 session on the moved instance')
  clock.advance(MAX_AGE_MS)
  t.equal(await signingKid(moved, account.username), key.kid, 'the key signs after JWKS_MAX_AGE')
  t.equal((await verify(moved, account.access)).json().active, true, 'the HS256 token still verifies')
  session = await keepAlive(t, moved, session.refresh, 'after the switch')

  // Dropping the secret later: sessions carry on, only HS256 access tokens stop.
  clock.advance(TTL_MS + MAX_AGE_MS)
  const keysOnly = await instance(t, db, clock, [key])
  session = await keepAlive(t, keysOnly, session.refresh, 'keys only')
  t.equal(headerOf(session.access).kid, key.kid)
})

t.test('a racing refresh is answered across a rotation: seals are opened with any configured key', async (t) => {
  const { db } = await createTestDb(t)
  const clock = new TestClock()
  const [oldKey, newKey] = [privateJwk('RS256'), privateJwk('EdDSA')]
  await instance(t, db, clock, [oldKey])
  const start = clock.now()
  const a = await instance(t, db, clock, [newKey, oldKey])
  const account = await signUp(a, uniqueName('race'))

  clock.ms = start + MAX_AGE_MS - 1000
  const first = await refresh(a, account.refresh)
  t.equal(first.statusCode, 200, 'rotated just before the switch (sealed under the old key)')
  clock.ms = start + MAX_AGE_MS + 1000
  const b = await instance(t, db, clock, [newKey, oldKey])
  const racing = await refresh(b, account.refresh)
  t.equal(racing.statusCode, 200, 'the racing tab, on another instance after the switch, is answered')
  t.equal(racing.json().tokens.refresh_token, first.json().tokens.refresh_token, 'with the same successor')
  t.equal(headerOf(racing.json().tokens.access_token).kid, newKey.kid)
})

t.test('no key published long enough and no secret: the longest-published key signs, with a loud warning', async (t) => {
  const { db } = await createTestDb(t)
  const clock = new TestClock()
  const [oldKey, newKey, newest] = [privateJwk('EdDSA'), privateJwk('ES256'), privateJwk('RS256')]
  await instance(t, db, clock, [oldKey])
  const lines: { level: number; msg: string }[] = []
  const logger = createLogger(
    'warn',
    new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).trim().split('\n')) lines.push(JSON.parse(line))
        done()
      },
    }),
  )
  const env = keysEnv([newKey])
  const replaced = await build(t, { db, clock, logger, env })
  const account = await signUp(replaced, uniqueName('early'))
  t.equal(headerOf(account.access).kid, newKey.kid, 'the only configured key signs rather than nothing')
  t.ok(lines.some((line) => line.level === 40 && /No configured signing key has been published for JWKS_MAX_AGE/.test(line.msg)), 'a warning says why')

  clock.advance(60_000)
  const later = await build(t, { db, clock, env: keysEnv([newest, newKey]) })
  t.equal(await signingKid(later, account.username), newKey.kid, 'of several not yet eligible, the one published longest ago')
  clock.advance(MAX_AGE_MS)
  t.equal(await signingKid(later, account.username), newest.kid, 'and the schedule resumes once keys are eligible')
})
