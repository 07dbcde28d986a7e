import { Writable } from 'node:stream'
import t from 'tap'
import { createLogger } from '../src/logger.js'
import { bearer, build, login, me, PASSWORD, refresh, signIn, signUp, type TestApp, TestClock, uniqueName } from './helper.js'
import { eventually, smtpSink } from './smtp-sink.js'

const NEW_PASSWORD = 'a brand new passphrase 2026'
const change = (app: TestApp, access: string, payload: object) =>
  app.call({ method: 'POST', url: '/v1/auth/password/change', headers: bearer(access), payload })
const askReset = (app: TestApp, email: string) =>
  app.call({ method: 'POST', url: '/v1/auth/password/reset', payload: { email } })
const confirm = (app: TestApp, token: string, newPassword = NEW_PASSWORD) =>
  app.call({ method: 'POST', url: '/v1/auth/password/reset/confirm', payload: { token, new_password: newPassword } })

function tokenFrom(raw: string): string {
  const match = /https:\/\/app\.example\/reset\?token=([\w%-]+)/.exec(raw)
  if (!match) throw new Error(`no reset link in the mail:\n${raw}`)
  return decodeURIComponent(match[1]!)
}

t.test('changing the password ends every other session and keeps this one', async (t) => {
  const app = await build(t)
  const here = await signUp(app)
  const laptop = await signIn(app, here.username)
  const phone = await signIn(app, here.username)

  const res = await change(app, here.access, { old_password: PASSWORD, new_password: NEW_PASSWORD })
  t.equal(res.statusCode, 204)
  t.equal((await me(app, here.access)).statusCode, 200, 'this session stays signed in')
  t.equal((await refresh(app, here.refresh)).statusCode, 200)
  for (const other of [laptop, phone]) {
    t.equal((await me(app, other.access)).json().code, 'token_revoked', 'other access tokens are refused at once')
    t.equal((await refresh(app, other.refresh)).json().code, 'token_revoked', 'other refresh tokens are dead')
  }
  t.equal((await login(app, here.username, PASSWORD)).statusCode, 401, 'the old password no longer works')
  t.equal((await login(app, here.username, NEW_PASSWORD)).statusCode, 200)
})

t.test('a wrong old password is a 400 naming the field, and counts as a failed login', async (t) => {
  const app = await build(t)
  const user = await signUp(app)
  const res = await change(app, user.access, { old_password: 'not it at all', new_password: NEW_PASSWORD })
  t.equal(res.statusCode, 400)
  t.same(res.json().errors, [{ pointer: '/old_password', code: 'incorrect_password', detail: 'is not the current password' }])
  const row = await app.db.selectFrom('login_attempts').select('failures').where('name', '=', user.username).executeTakeFirstOrThrow()
  t.equal(row.failures, 1, 'under the username')
  t.equal((await login(app, user.username, PASSWORD)).statusCode, 200, 'nothing changed')
})

t.test('the password policy names the rule a new password breaks', async (t) => {
  const app = await build(t)
  const user = await signUp(app)
  for (const [password, rule] of [
    ['short', 'password_too_short'],
    ['x'.repeat(257), 'password_too_long'],
    ['password123', 'password_too_common'],
    ['20261122734', 'password_entirely_numeric'],
    ['\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669', 'password_entirely_numeric'],
    [user.username.toUpperCase(), 'password_too_similar'],
    [`${user.username}@example.com`, 'password_too_similar'],
  ] as const) {
    const res = await change(app, user.access, { old_password: PASSWORD, new_password: password })
    t.equal(res.statusCode, 400, rule)
    t.equal(res.json().errors[0].code, rule)
    t.equal(res.json().errors[0].pointer, '/new_password')
  }
  const register = await app.call({
    method: 'POST',
    url: '/v1/auth/register',
    payload: { username: uniqueName(), password: 'qwerty123' },
  })
  t.equal(register.json().errors[0].code, 'password_too_common', 'registration applies the same policy')
  const lenient = await build(t, { db: app.db, env: { PASSWORD_MIN_LENGTH: '4', PASSWORD_REJECT_COMMON: 'false' } })
  const res = await lenient.call({ method: 'POST', url: '/v1/auth/register', payload: { username: uniqueName(), password: 'qwerty' } })
  t.equal(res.statusCode, 201, 'every rule is configurable')
})

t.test('a reset by mail, end to end through a real SMTP server', async (t) => {
  const smtp = await smtpSink(t)
  const app = await build(t, {
    env: { MAIL_TRANSPORT: 'smtp', SMTP_URL: smtp.url, PASSWORD_RESET_URL: 'https://app.example/reset?token={token}', MAIL_FROM: 'Accounts <accounts@example.com>' },
  })
  const user = await signUp(app)
  const other = await signIn(app, user.username)

  const res = await askReset(app, `${user.username.toUpperCase()}@EXAMPLE.com`)
  t.equal(res.statusCode, 202)
  t.same(res.json(), {
    status: 'accepted',
    detail: 'If an account has this email address, a link to reset its password is on its way.',
  })
  await eventually(() => smtp.received.length === 1)
  const mail = smtp.received[0]!
  t.same(mail.to, [`${user.username}@example.com`])
  t.match(mail.raw, /From: Accounts <accounts@example\.com>/)
  t.match(mail.raw, /Subject: Reset your password/)
  t.match(mail.raw, user.username)
  const token = tokenFrom(mail.raw)
  const stored = await app.db.selectFrom('password_reset_tokens').select('token_hash').where('user_id', '=', user.id).execute()
  t.equal(stored.length, 1)
  t.not(stored[0]!.token_hash, token, 'stored hashed')

  t.equal((await confirm(app, token)).statusCode, 204)
  for (const session of [user, other]) t.equal((await me(app, session.access)).json().code, 'token_revoked', 'every session ends')
  t.equal((await login(app, user.username, NEW_PASSWORD)).statusCode, 200)
  const again = await confirm(app, token, 'yet another passphrase 99')
  t.equal(again.statusCode, 400, 'the token works once')
  t.equal(again.json().code, 'reset_token_invalid')
})

t.test('an unknown address is answered alike and mailed nothing', async (t) => {
  const smtp = await smtpSink(t)
  const app = await build(t, { env: { MAIL_TRANSPORT: 'smtp', SMTP_URL: smtp.url } })
  const user = await signUp(app)
  await app.db.updateTable('users').set({ is_active: false }).where('id', '=', user.id).execute()
  const known = await askReset(app, `${user.username}@example.com`)
  const unknown = await askReset(app, `${uniqueName('nobody')}@example.com`)
  t.equal(unknown.statusCode, 202)
  t.same(unknown.json(), known.json(), 'the same answer')
  await app.app.close()
  t.equal(smtp.received.length, 0, 'no mail for an unknown or inactive account')
})

t.test('reset tokens expire, and a refused new password leaves the token usable', async (t) => {
  const smtp = await smtpSink(t)
  const clock = new TestClock()
  const app = await build(t, {
    clock,
    env: { MAIL_TRANSPORT: 'smtp', SMTP_URL: smtp.url, PASSWORD_RESET_URL: 'https://app.example/reset?token={token}', PASSWORD_RESET_TTL: '30m' },
  })
  const user = await signUp(app)
  await askReset(app, `${user.username}@example.com`)
  await eventually(() => smtp.received.length === 1)
  const token = tokenFrom(smtp.received[0]!.raw)
  const weak = await confirm(app, token, 'password')
  t.equal(weak.json().errors[0].code, 'password_too_common')
  clock.advance(29 * 60_000)
  t.equal((await confirm(app, token)).statusCode, 204, 'still usable within PASSWORD_RESET_TTL')

  await askReset(app, `${user.username}@example.com`)
  await eventually(() => smtp.received.length === 2)
  clock.advance(30 * 60_000)
  t.equal((await confirm(app, tokenFrom(smtp.received[1]!.raw))).json().code, 'reset_token_invalid', 'expired')
})

t.test('an account gets at most PASSWORD_RESET_MAX_PER_HOUR reset mails an hour', async (t) => {
  const smtp = await smtpSink(t)
  const app = await build(t, { env: { MAIL_TRANSPORT: 'smtp', SMTP_URL: smtp.url, PASSWORD_RESET_MAX_PER_HOUR: '2' } })
  const user = await signUp(app)
  for (let i = 0; i < 4; i++) t.equal((await askReset(app, `${user.username}@example.com`)).statusCode, 202)
  await app.app.close()
  t.equal(smtp.received.length, 2)
})

t.test('the hourly cap holds when the requests arrive at once', async (t) => {
  const smtp = await smtpSink(t)
  const app = await build(t, { env: { MAIL_TRANSPORT: 'smtp', SMTP_URL: smtp.url, PASSWORD_RESET_MAX_PER_HOUR: '2' } })
  const user = await signUp(app)
  const answers = await Promise.all(Array.from({ length: 8 }, () => askReset(app, `${user.username}@example.com`)))
  t.same(answers.map((res) => res.statusCode), Array(8).fill(202))
  await app.app.close()
  t.equal(smtp.received.length, 2, 'two mails, however the background work interleaves')
})

t.test('MAIL_TRANSPORT=log writes the message, link included, to the log', async (t) => {
  const lines: string[] = []
  const logger = createLogger('info', new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) }))
  const app = await build(t, { logger, env: { PASSWORD_RESET_URL: 'https://app.example/reset?token={token}' } })
  const user = await signUp(app)
  await askReset(app, `${user.username}@example.com`)
  await app.app.close()
  const entry = lines.map((line) => JSON.parse(line)).find((line) => line.mail)
  t.ok(entry, 'the mail is in the log')
  t.equal(entry.level, 30, 'at info level')
  t.equal(entry.mail.to, `${user.username}@example.com`)
  t.ok(tokenFrom(entry.mail.text))
})
