import t from 'tap'
import { ADMIN_TOKEN, admin, adminEnv, feedLists, makeStaff, NEXT_ADMIN_TOKEN, sidOf, signUpStaff } from './admin-support.js'
import { auditRows } from './audit-support.js'
import { bearer, build, login, me, PASSWORD, refresh, signIn, signUp, uniqueName, verify } from './helper.js'
import { eventually, smtpSink } from './smtp-sink.js'

const routes = (id: number): [string, string][] => [
  ['GET', '/users'],
  ['GET', `/users/${id}`],
  ['POST', `/users/${id}/deactivate`],
  ['POST', `/users/${id}/activate`],
  ['DELETE', `/users/${id}/sessions`],
  ['POST', `/users/${id}/password-reset`],
  ['DELETE', `/users/${id}`],
  ['GET', '/audit'],
]

t.test('who may call the admin API: ADMIN_TOKENS (both, while they rotate) and active staff; 401 without credentials, 403 for others', async (t) => {
  const app = await build(t, { env: adminEnv })
  const target = await signUp(app)
  const plain = await signUp(app)
  const staff = await signUpStaff(app)
  for (const [method, url] of routes(target.id)) {
    const none = await app.call({ method, url: `/v1/admin${url}` })
    t.equal(none.statusCode, 401, `${method} ${url} without credentials`)
    t.equal(none.json().code, 'not_authenticated')
    const forbidden = await admin(app, method, url, plain.access)
    t.equal(forbidden.statusCode, 403, `${method} ${url} for a non-staff user`)
    t.equal(forbidden.json().code, 'forbidden')
    const wrong = await admin(app, method, url, 'admin-token-wrong-0123456789abcdef0123456789')
    t.equal(wrong.statusCode, 401, `${method} ${url} with a token that is not one of ADMIN_TOKENS`)
  }
  for (const credential of [ADMIN_TOKEN, NEXT_ADMIN_TOKEN, staff.access]) {
    t.equal((await admin(app, 'GET', `/users/${target.id}`, credential)).statusCode, 200, 'either admin token, or a staff token')
  }
  // Demoted in the database: the token still says is_staff, the database decides.
  await makeStaff(app.db, staff.id, false)
  t.equal((await admin(app, 'GET', '/users', staff.access)).json().code, 'forbidden')
  await makeStaff(app.db, staff.id, true)
  // A staff user deactivated (by another staff user): every session ended, the token is refused.
  await signUpStaff(app)
  t.equal((await admin(app, 'POST', `/users/${staff.id}/deactivate`)).statusCode, 200)
  const refused = await admin(app, 'GET', '/users', staff.access)
  t.equal(refused.statusCode, 401)
  t.equal(refused.json().code, 'token_revoked')
  // Deactivated behind keyturn's back (SQL), sessions left live: still no admin.
  const other = await signUpStaff(app)
  await app.db.updateTable('users').set({ is_active: false }).where('id', '=', other.id).execute()
  t.equal((await admin(app, 'GET', '/users', other.access)).json().code, 'forbidden')

  const old = await build(t, { env: { ...adminEnv, ADMIN_TOKENS: NEXT_ADMIN_TOKEN } })
  t.equal((await admin(old, 'GET', '/users', ADMIN_TOKEN)).statusCode, 401, 'a token removed from ADMIN_TOKENS stops working')
  t.equal((await admin(old, 'GET', '/users', NEXT_ADMIN_TOKEN)).statusCode, 200)
})

t.test('deactivation ends every session at once: /me, /verify, the feed, refresh and login all refuse; activation lets them sign in again', async (t) => {
  const app = await build(t, { env: adminEnv })
  const user = await signUp(app)
  const other = await signIn(app, user.username)
  const res = await admin(app, 'POST', `/users/${user.id}/deactivate`)
  t.equal(res.statusCode, 200)
  t.match(res.json(), { user: { id: user.id, username: user.username }, is_active: false, live_sessions: 0 })
  for (const account of [user, other]) {
    t.equal((await me(app, account.access)).json().code, 'token_revoked')
    t.same((await verify(app, account.access)).json(), { active: false })
    t.equal((await refresh(app, account.refresh)).statusCode, 401)
  }
  t.ok((await feedLists(app, sidOf(user.access))) && (await feedLists(app, sidOf(other.access))), 'both sessions in the feed')
  const denied = await login(app, user.username)
  t.equal(denied.statusCode, 401)
  t.equal(denied.json().code, 'invalid_credentials', 'as a wrong password')
  t.equal((await admin(app, 'POST', `/users/${user.id}/deactivate`)).statusCode, 200, 'again: nothing changes')

  const activated = await admin(app, 'POST', `/users/${user.id}/activate`)
  t.match(activated.json(), { is_active: true, live_sessions: 0 })
  t.equal((await login(app, user.username)).statusCode, 200)
  t.equal((await me(app, user.access)).statusCode, 401, 'the old sessions stay ended')

  t.equal((await admin(app, 'POST', '/users/999999999/deactivate')).json().code, 'not_found')
  t.equal((await admin(app, 'GET', '/users/999999999')).statusCode, 404)
  t.equal((await admin(app, 'GET', '/users/abc')).statusCode, 400)
})

t.test('a staff user cannot deactivate or delete themselves, and the last active staff user stays', async (t) => {
  const { db } = await (await import('./helper.js')).createTestDb(t)
  const app = await build(t, { db, env: adminEnv })
  const first = await signUpStaff(app)
  for (const [method, url] of [['POST', `/users/${first.id}/deactivate`], ['DELETE', `/users/${first.id}`]] as const) {
    const res = await admin(app, method, url, first.access)
    t.equal(res.statusCode, 403)
    t.equal(res.json().code, 'forbidden')
    const last = await admin(app, method, url)
    t.equal(last.statusCode, 409, 'the only staff user, even for an admin token')
    t.equal(last.json().code, 'last_staff_user')
  }
  const second = await signUpStaff(app)
  t.equal((await admin(app, 'POST', `/users/${second.id}/deactivate`, first.access)).statusCode, 200, 'another staff user may')
  t.equal((await admin(app, 'DELETE', `/users/${first.id}`)).json().code, 'last_staff_user', 'now first is the last one')
  t.equal((await admin(app, 'POST', `/users/${second.id}/activate`, first.access)).statusCode, 200)
  // Two admins removing the last two staff users at once: one succeeds.
  const [a, b] = await Promise.all([admin(app, 'POST', `/users/${first.id}/deactivate`), admin(app, 'POST', `/users/${second.id}/deactivate`)])
  t.same([a.statusCode, b.statusCode].sort(), [200, 409])
})

t.test('delete: the sessions end as with a deactivation, then nothing of the user is left but ids in the audit log', async (t) => {
  const app = await build(t, { env: adminEnv })
  const user = await signUp(app)
  t.equal((await login(app, user.username, 'a wrong one')).statusCode, 401)
  t.equal((await app.call({ method: 'POST', url: '/v1/auth/password/reset', payload: { email: `${user.username}@example.com` } })).statusCode, 202)
  await app.app.close()
  const live = await build(t, { db: app.db, env: adminEnv })
  t.equal((await admin(live, 'DELETE', `/users/${user.id}`)).statusCode, 204)
  t.equal((await me(live, user.access)).statusCode, 401)
  t.same((await verify(live, user.access)).json(), { active: false })
  t.ok(await feedLists(live, sidOf(user.access)), 'in the feed')
  t.equal((await admin(live, 'GET', `/users/${user.id}`)).statusCode, 404)
  t.equal((await admin(live, 'DELETE', `/users/${user.id}`)).statusCode, 404)

  const db = live.db
  const left = {
    users: await db.selectFrom('users').select('id').where('id', '=', user.id).execute(),
    names: await db.selectFrom('login_names').select('name').where('user_id', '=', user.id).execute(),
    sessions: await db.selectFrom('sessions').select('id').where('user_id', '=', user.id).execute(),
    resets: await db.selectFrom('password_reset_tokens').select('token_hash').where('user_id', '=', user.id).execute(),
    attempts: await db.selectFrom('login_attempts').select('name').where('name', '=', user.username.toLowerCase()).execute(),
  }
  t.same(left, { users: [], names: [], sessions: [], resets: [], attempts: [] })
  await live.app.close()
  const events = await auditRows(db, user.id)
  t.same(events.map((row) => row.type), ['registered', 'login_failed', 'password_reset_requested', 'user_deleted'])
  t.notOk(JSON.stringify(events).includes(user.username), 'the audit log keeps the id, not the name')
  t.equal(events.at(-1)!.actor, 'admin_token')
})

t.test('ending sessions: all of them, or one; password reset by mail', async (t) => {
  const smtp = await smtpSink(t)
  const app = await build(t, { env: { ...adminEnv, MAIL_TRANSPORT: 'smtp', SMTP_URL: smtp.url } })
  const user = await signUp(app)
  const second = await signIn(app, user.username)
  const third = await signIn(app, user.username)
  t.equal((await admin(app, 'DELETE', `/users/${user.id}/sessions?session=${sidOf(second.access)}`)).statusCode, 204)
  t.equal((await me(app, second.access)).statusCode, 401)
  t.equal((await me(app, third.access)).statusCode, 200, 'only that one')
  const foreign = await signUp(app)
  t.equal((await admin(app, 'DELETE', `/users/${user.id}/sessions?session=${sidOf(foreign.access)}`)).statusCode, 404, "another user's session")
  t.equal((await admin(app, 'DELETE', `/users/${user.id}/sessions`)).statusCode, 204)
  t.equal((await me(app, user.access)).statusCode, 401)
  t.match((await admin(app, 'GET', `/users/${user.id}`)).json(), { is_active: true, live_sessions: 0 })

  t.equal((await admin(app, 'POST', `/users/${user.id}/password-reset`)).statusCode, 202)
  await eventually(() => smtp.received.length === 1, 15_000)
  t.same(smtp.received[0]!.to, [`${user.username}@example.com`])
  const noEmail = await app.call({ method: 'POST', url: '/v1/auth/register', payload: { username: uniqueName(), password: PASSWORD } })
  t.equal((await admin(app, 'POST', `/users/${noEmail.json().user.id}/password-reset`)).json().code, 'user_has_no_email')
})

t.test('listing: prefix search on username and email, pages in a stable order while users are added', async (t) => {
  const app = await build(t, { env: adminEnv })
  const prefix = uniqueName('list').toLowerCase()
  const made = []
  for (let i = 0; i < 5; i++) made.push(await signUp(app, `${prefix}_${i}`))
  await app.db.updateTable('users').set({ email: null }).where('id', '=', made[4]!.id).execute()
  const byEmail = await app.call({ method: 'POST', url: '/v1/auth/register', payload: { username: uniqueName('other'), password: PASSWORD, email: `${prefix}.mail@example.com` } })

  const seen: number[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const res = await admin(app, 'GET', `/users?query=${encodeURIComponent(prefix.toUpperCase())}&limit=2${cursor ? `&cursor=${cursor}` : ''}`)
    t.equal(res.statusCode, 200)
    const body = res.json()
    seen.push(...body.users.map((entry: { user: { id: number } }) => entry.user.id))
    cursor = body.next_cursor
    // Someone registers meanwhile: it comes last or not at all, never twice, and nothing is skipped.
    if (pages++ === 0) await signUp(app, `${prefix}_late`)
  } while (cursor)
  const expected = [...made.map((account) => account.id), byEmail.json().user.id]
  t.same(seen.slice(0, expected.length), expected, 'in id order, none skipped')
  t.equal(new Set(seen).size, seen.length, 'none twice')
  t.same((await admin(app, 'GET', `/users?query=${prefix}_1`)).json().users.map((entry: { user: { id: number } }) => entry.user.id), [made[1]!.id])
  t.same((await admin(app, 'GET', '/users?query=%25')).json().users, [], '% is a character, not a wildcard')
  t.equal((await admin(app, 'GET', '/users?cursor=abc')).statusCode, 400)
})

t.test('the audit log: filtered by user and type, paged; /me/events shows the caller only their own', async (t) => {
  const app = await build(t, { env: adminEnv })
  const staff = await signUpStaff(app)
  const user = await signUp(app)
  for (let i = 0; i < 3; i++) await login(app, user.username, `wrong ${i}`)
  await admin(app, 'DELETE', `/users/${user.id}/sessions`, staff.access)
  const mine = await signIn(app, user.username)

  const page = await admin(app, 'GET', `/audit?user=${user.id}&limit=2`)
  t.equal(page.statusCode, 200)
  const first = page.json()
  t.equal(first.events.length, 2)
  t.match(first.events[0], { type: 'login_succeeded', user_id: user.id, ip: '127.0.0.1', actor: null })
  t.match(first.events[1], { type: 'sessions_ended', actor: `user:${staff.id}` })
  const rest = (await admin(app, 'GET', `/audit?user=${user.id}&cursor=${first.next_cursor}`)).json()
  t.same(rest.events.map((event: { type: string }) => event.type), ['login_failed', 'login_failed', 'login_failed', 'registered'])
  t.equal(rest.next_cursor, null)
  const failed = (await admin(app, 'GET', `/audit?user=${user.id}&type=login_failed`)).json()
  t.same(failed.events.map((event: { reason: string }) => event.reason), ['bad_password', 'bad_password', 'bad_password'])
  t.equal((await admin(app, 'GET', '/audit?type=bogus')).statusCode, 400)

  const own = await app.call({ method: 'GET', url: '/v1/auth/me/events', headers: bearer(mine.access) })
  t.equal(own.statusCode, 200)
  const types = own.json().events.map((event: { type: string }) => event.type)
  t.same(types, ['login_succeeded', 'sessions_ended', 'login_failed', 'login_failed', 'login_failed', 'registered'])
  t.match(own.json().events[1], { by_admin: true })
  t.notOk(own.body.includes(`user:${staff.id}`), "no other user's id")
  t.equal((await app.call({ method: 'GET', url: '/v1/auth/me/events' })).statusCode, 401)
})
