import { Writable } from 'node:stream'
import t from 'tap'
import { createLogger } from '../src/logger.js'
import { auditRows, auditTableText, resetTokenFrom } from './audit-support.js'
import { bearer, build, login, logout, PASSWORD, refresh, signIn, signUp, TestClock, uniqueName } from './helper.js'
import { eventually, smtpSink } from './smtp-sink.js'

const NEW_PASSWORD = 'a brand new passphrase nobody knows'
const RESET_PASSWORD = 'the passphrase set through the mailed link'

t.test('each security event of an account is written once, with its fields, and never a secret', async (t) => {
  const smtp = await smtpSink(t)
  const app = await build(t, {
    env: { MAIL_TRANSPORT: 'smtp', SMTP_URL: smtp.url, PASSWORD_RESET_URL: 'https://app.example/reset?token={token}', REFRESH_REUSE_INTERVAL: '0' },
  })
  const ua = { 'user-agent': 'audit-test/1.0' }
  const user = await signUp(app)
  const second = await signIn(app, user.username)
  t.equal((await login(app, user.username, 'not the password')).statusCode, 401)
  const rotated = await refresh(app, second.refresh)
  t.equal(rotated.statusCode, 200)
  t.equal((await refresh(app, second.refresh)).json().code, 'refresh_token_reused', 'the retired token again: a replay')
  const third = await signIn(app, user.username)
  t.equal((await app.call({ method: 'POST', url: '/v1/auth/logout', headers: { ...bearer(third.access), ...ua }, payload: { scope: 'others' } })).statusCode, 204)
  const changed = await app.call({
    method: 'POST',
    url: '/v1/auth/password/change',
    headers: bearer(third.access),
    payload: { old_password: PASSWORD, new_password: NEW_PASSWORD },
  })
  t.equal(changed.statusCode, 204)
  const email = `${uniqueName('moved')}@example.com`
  const patched = await app.call({ method: 'PATCH', url: '/v1/auth/me', headers: bearer(third.access), payload: { email, current_password: NEW_PASSWORD } })
  t.equal(patched.statusCode, 200, patched.body)
  t.equal((await app.call({ method: 'POST', url: '/v1/auth/password/reset', payload: { email } })).statusCode, 202)
  // The old address was told of the change; the link goes to the new one.
  const toNew = () => smtp.received.find((mail) => mail.to.includes(email))
  await eventually(() => toNew() !== undefined, 15_000)
  const resetToken = resetTokenFrom(toNew()!.raw)
  const confirmed = await app.call({ method: 'POST', url: '/v1/auth/password/reset/confirm', payload: { token: resetToken, new_password: RESET_PASSWORD } })
  t.equal(confirmed.statusCode, 204)

  await app.app.close() // writes what is buffered
  const rows = await auditRows(app.db, user.id)
  t.same(
    rows.map((row) => [row.type, row.reason]),
    [
      ['registered', null],
      ['login_succeeded', null],
      ['login_failed', 'bad_password'],
      ['refresh_reuse_detected', null],
      ['login_succeeded', null],
      ['logged_out', 'others'],
      ['password_changed', null],
      ['email_changed', null],
      ['password_reset_requested', null],
      ['password_reset_completed', null],
    ],
    'each event once, in order',
  )
  const sid = (access: string) => JSON.parse(Buffer.from(access.split('.')[1]!, 'base64url').toString()).sid
  t.equal(rows[0]!.session_id, sid(user.access), 'registration names the session it opened')
  t.equal(rows[1]!.session_id, sid(second.access))
  t.equal(rows[3]!.session_id, sid(second.access), 'reuse names the session it ended')
  t.equal(rows[5]!.session_id, sid(third.access))
  t.equal(rows[5]!.user_agent, 'audit-test/1.0')
  for (const row of rows) {
    t.equal(row.ip, '127.0.0.1', `${row.type}: the client's IP`)
    t.equal(row.actor, null, `${row.type}: the user did it`)
    t.equal(row.user_id, user.id)
  }

  const hash = (await app.db.selectFrom('users').select('password').where('id', '=', user.id).executeTakeFirstOrThrow()).password
  const text = await auditTableText(app.db)
  const secrets = [PASSWORD, NEW_PASSWORD, RESET_PASSWORD, 'not the password', user.access, user.refresh, second.access, second.refresh, third.access, third.refresh, resetToken, hash, rotated.json().tokens.refresh_token]
  for (const secret of secrets) t.notOk(text.includes(secret), `no secret in the audit table (${secret.slice(0, 12)}…)`)
})

t.test('failed logins say why: unknown name, inactive, slowed, rate-limited', async (t) => {
  const clock = new TestClock()
  const app = await build(t, { clock, env: { LOGIN_SLOWDOWN_AFTER: '1', LOGIN_SLOWDOWN_MAX: '5s' } })
  const user = await signUp(app)
  const unknown = uniqueName('nobody')
  t.equal((await login(app, unknown)).statusCode, 401)
  // Slowed: after failures the owner finds no slot within LOGIN_SLOWDOWN_MAX (the clock stands still).
  for (let i = 0; i < 6; i++) {
    t.equal((await login(app, user.username, 'wrong')).statusCode, 401)
    clock.advance(5000)
  }
  t.equal((await login(app, user.username, 'wrong')).statusCode, 401)
  t.equal((await login(app, user.username, PASSWORD)).statusCode, 429)
  clock.advance(5000)
  const inactive = await signUp(app)
  await app.db.updateTable('users').set({ is_active: false }).where('id', '=', inactive.id).execute()
  t.equal((await login(app, inactive.username)).statusCode, 401)

  const limited = await build(t, { env: { RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_LOGIN_IP: '1/1m' } })
  const other = await signUp(app)
  t.equal((await login(limited, other.username)).statusCode, 200)
  t.equal((await login(limited, other.username)).statusCode, 429)

  await app.app.close()
  await limited.app.close()
  const reasons = async (id: number) => (await auditRows(app.db, id)).filter((row) => row.type === 'login_failed').map((row) => row.reason)
  // The last two share a millisecond on the frozen clock: compared as a multiset.
  t.same((await reasons(user.id)).sort(), [...Array(7).fill('bad_password'), 'slowed'])
  t.same(await reasons(inactive.id), ['inactive'])
  const anonymous = await app.db.selectFrom('audit_events').selectAll().where('type', '=', 'login_failed').where('user_id', 'is', null).execute()
  t.ok(anonymous.some((row) => row.reason === 'unknown_name'), 'a name no account has: no user, and no name kept')
  t.ok(anonymous.some((row) => row.reason === 'rate_limited'), 'refused by the per-IP limit')
  t.notOk((await auditTableText(app.db)).includes(unknown), 'the name tried is not kept')
})

t.test('events are logged as structured lines, without secrets; AUDIT_LOG=false writes no rows', async (t) => {
  const lines: string[] = []
  const logger = createLogger('info', new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) }))
  const app = await build(t, { logger, env: { AUDIT_LOG: 'false' } })
  const user = await signUp(app)
  t.equal((await login(app, user.username, 'a wrong guess')).statusCode, 401)
  t.equal((await logout(app, user.access)).statusCode, 204)
  await app.app.close()
  const events = lines.map((line) => JSON.parse(line)).filter((line) => line.event)
  t.match(
    events.map((line) => line.event),
    [
      { type: 'registered', user_id: user.id, ip: '127.0.0.1' },
      { type: 'login_failed', reason: 'bad_password', user_id: user.id },
      { type: 'logged_out', reason: 'session', user_id: user.id },
    ],
  )
  const text = lines.join('')
  for (const secret of [PASSWORD, 'a wrong guess', user.access, user.refresh]) t.notOk(text.includes(secret), 'no secret in the log')
  t.same(await auditRows(app.db, user.id), [], 'nothing written')
})
