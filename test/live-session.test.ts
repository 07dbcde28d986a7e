// State-changing operations need the token's session to be live in the
// database, not only absent from this instance's denylist: a logout another
// instance has not told this one about yet, or a token keyturn never issued
// (made with the shared HS256 secret), changes nothing. Reads stay
// database-free for the session.
import { createHmac, randomUUID } from 'node:crypto'
import t from 'tap'
import { bearer, build, countingDb, me, signIn, signUp, testEnv, uniqueName, verify, type Account, type TestApp } from './helper.js'

function reSigned(token: string, changes: Record<string, unknown>): string {
  const [header, payload] = token.split('.') as [string, string]
  const claims = { ...JSON.parse(Buffer.from(payload, 'base64url').toString()), ...changes }
  const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`
  return `${input}.${createHmac('sha256', testEnv.JWT_SECRET!).update(input).digest('base64url')}`
}

const sidOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).sid as string

/** Every state-changing operation a bearer token can ask for, none of which should change anything here. */
function changes(app: TestApp, token: string, other: Account) {
  return [
    ['PATCH /me', () => app.call({ method: 'PATCH', url: '/v1/auth/me', headers: bearer(token), payload: { first_name: 'Mallory' } })],
    ['password change', () => app.call({ method: 'POST', url: '/v1/auth/password/change', headers: bearer(token), payload: { old_password: 'x', new_password: 'a brand new passphrase' } })],
    ['logout', () => app.call({ method: 'POST', url: '/v1/auth/logout', headers: bearer(token), payload: { scope: 'all' } })],
    ['DELETE /sessions/{id}', () => app.call({ method: 'DELETE', url: `/v1/auth/sessions/${sidOf(other.access)}`, headers: bearer(token) })],
  ] as const
}

t.test('a session ended in the database, before this instance has heard of it: reads pass, changes are refused', async (t) => {
  // A sync interval long enough that this instance's denylist never learns of the SQL below.
  const app = await build(t, { env: { DENYLIST_SYNC_INTERVAL: '1h' } })
  const user = await signUp(app)
  const other = await signIn(app, user.username)
  await app.db.updateTable('sessions').set({ revoked_at: new Date(), revoked_reason: 'logout' }).where('id', '=', sidOf(user.access)).execute()

  t.equal((await me(app, user.access)).statusCode, 200, 'GET /me answers from memory, and memory has not heard yet')
  t.equal((await verify(app, user.access)).json().active, true, '/verify likewise')
  for (const [name, request] of changes(app, user.access, other)) {
    const res = await request()
    t.equal(res.statusCode, 401, name)
    t.equal(res.json().code, 'token_revoked', `${name}: the session has ended`)
  }
  t.equal((await me(app, other.access)).statusCode, 200, 'the other session was not ended')
  const row = await app.db.selectFrom('users').select('first_name').where('id', '=', user.id).executeTakeFirstOrThrow()
  t.equal(row.first_name, '', 'nothing changed')
})

t.test('a session past its end cannot change anything either', async (t) => {
  const app = await build(t, { env: { DENYLIST_SYNC_INTERVAL: '1h' } })
  const user = await signUp(app)
  const other = await signIn(app, user.username)
  await app.db.updateTable('sessions').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', sidOf(user.access)).execute()
  for (const [name, request] of changes(app, user.access, other)) t.equal((await request()).json().code, 'token_revoked', name)
})

t.test('a token keyturn never issued, made with the shared secret, changes nothing', async (t) => {
  const app = await build(t)
  const victim = await signUp(app)
  const attacker = await signUp(app, uniqueName('mallory'))
  const cases = {
    'a session that does not exist': reSigned(victim.access, { sid: randomUUID() }),
    "another user's session": reSigned(attacker.access, { sub: String(victim.id), username: victim.username }),
  }
  for (const [what, token] of Object.entries(cases)) {
    for (const [name, request] of changes(app, token, victim)) {
      const res = await request()
      t.equal(res.statusCode, 401, `${what}: ${name}`)
      t.equal(res.json().code, 'token_invalid', `${what}: ${name} names no session of the user`)
    }
  }
  t.equal((await me(app, victim.access)).statusCode, 200, "the victim's own session is untouched")
})

t.test('the session check is one query, and only for changes', async (t) => {
  const counted = await countingDb()
  const app = await build(t, { db: counted.db, env: { DENYLIST_SYNC_INTERVAL: '1h', USER_CACHE_TTL: '1h' } })
  const user = await signUp(app)
  await me(app, user.access)
  counted.reset()
  for (let i = 0; i < 5; i++) await me(app, user.access)
  for (let i = 0; i < 5; i++) await verify(app, user.access)
  t.equal(counted.queries(), 0, 'GET /me (cached user) and /verify touch no database')

  const patch = () => app.call({ method: 'PATCH', url: '/v1/auth/me', headers: bearer(user.access), payload: {} })
  counted.reset()
  t.equal((await patch()).statusCode, 200)
  const withCheck = counted.queries()
  await app.db.updateTable('sessions').set({ revoked_at: new Date() }).where('id', '=', sidOf(user.access)).execute()
  counted.reset()
  t.equal((await patch()).statusCode, 401)
  t.equal(counted.queries(), 1, 'a refused change costs exactly the one session query')
  t.ok(withCheck >= 1)
})
