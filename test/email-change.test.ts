// Changing the email is what a password reset mails to: it needs the current
// password, voids the reset links still out, and tells the old address.
import t from 'tap'
import { bearer, build, login, PASSWORD, signIn, signUp, uniqueName, type Account, type TestApp } from './helper.js'
import { eventually, smtpSink } from './smtp-sink.js'
import { watchedHasher } from './watched-argon2.js'

const NEW_PASSWORD = 'a brand new passphrase 2026'

const patchMe = (app: TestApp, user: Account, payload: object) =>
  app.call({ method: 'PATCH', url: '/v1/auth/me', headers: bearer(user.access), payload })

const emailOf = async (app: TestApp, user: Account) =>
  (await app.db.selectFrom('users').select('email').where('id', '=', user.id).executeTakeFirstOrThrow()).email

async function mailApp(t: Parameters<typeof build>[0], extra: Parameters<typeof build>[1] = {}) {
  const smtp = await smtpSink(t)
  const env = { MAIL_TRANSPORT: 'smtp', SMTP_URL: smtp.url, PASSWORD_RESET_URL: 'https://app.example/reset#token={token}', ...extra.env }
  return { smtp, app: await build(t, { ...extra, env }) }
}

t.test('an email change without the current password is refused, naming the field', async (t) => {
  const app = await build(t)
  const user = await signUp(app)
  for (const email of [`${uniqueName()}@example.com`, null]) {
    const res = await patchMe(app, user, { email })
    t.equal(res.statusCode, 400)
    t.equal(res.json().code, 'validation_failed')
    t.same(res.json().errors, [{ pointer: '/current_password', code: 'required', detail: 'is required' }], `email ${email}`)
  }
  t.equal(await emailOf(app, user), `${user.username}@example.com`, 'unchanged')
  const names = await patchMe(app, user, { first_name: 'Ada' })
  t.equal(names.statusCode, 200, 'names need no password')
  t.equal(names.json().first_name, 'Ada')
})

t.test('a wrong current password is incorrect_password, counted as a failed login, and changes nothing', async (t) => {
  const app = await build(t)
  const user = await signUp(app)
  const res = await patchMe(app, user, { email: `${uniqueName()}@example.com`, current_password: 'not it', first_name: 'Eve' })
  t.equal(res.statusCode, 400)
  t.same(res.json().errors, [{ pointer: '/current_password', code: 'incorrect_password', detail: 'is not the current password' }])
  t.equal(await emailOf(app, user), `${user.username}@example.com`)
  const row = await app.db.selectFrom('users').select('first_name').where('id', '=', user.id).executeTakeFirstOrThrow()
  t.equal(row.first_name, '', 'not the names either')
  const failures = await app.db.selectFrom('login_attempts').select('failures').where('name', '=', user.username).executeTakeFirstOrThrow()
  t.equal(failures.failures, 1)
})

t.test('with the password: the email changes, reset links still out are void, and the old address is told', async (t) => {
  const { smtp, app } = await mailApp(t)
  const user = await signUp(app)
  const oldEmail = `${user.username}@example.com`
  t.equal((await app.call({ method: 'POST', url: '/v1/auth/password/reset', payload: { email: oldEmail } })).statusCode, 202)
  await eventually(() => smtp.received.length === 1)
  const resetToken = decodeURIComponent(/#token=([\w%-]+)/.exec(smtp.received[0]!.raw)![1]!)

  const newEmail = `${uniqueName('moved')}@example.org`
  const res = await patchMe(app, user, { email: newEmail, current_password: PASSWORD })
  t.equal(res.statusCode, 200)
  t.equal(res.json().email, newEmail)
  await eventually(() => smtp.received.length === 2)
  const notice = smtp.received[1]!
  t.same(notice.to, [oldEmail], 'the notice goes to the old address')
  t.match(notice.raw, /Subject: The email address of your account was changed/)
  t.match(notice.raw, user.username)
  t.notMatch(notice.raw, newEmail, 'without saying where it went')

  const confirm = await app.call({ method: 'POST', url: '/v1/auth/password/reset/confirm', payload: { token: resetToken, new_password: NEW_PASSWORD } })
  t.equal(confirm.json().code, 'reset_token_invalid', 'the link mailed to the old address no longer works')
  t.equal((await login(app, newEmail)).statusCode, 200, 'the new address signs in')
  t.equal((await login(app, oldEmail)).statusCode, 401, 'the old one no longer does')
})

t.test('no notice when there was no address; removing the address tells the old one', async (t) => {
  const { smtp, app } = await mailApp(t)
  const user = await signUp(app)
  t.equal((await patchMe(app, user, { email: null, current_password: PASSWORD })).json().email, null)
  await eventually(() => smtp.received.length === 1)
  t.same(smtp.received[0]!.to, [`${user.username}@example.com`])
  t.equal((await patchMe(app, user, { email: `${uniqueName()}@example.com`, current_password: PASSWORD })).statusCode, 200)
  await app.app.close()
  t.equal(smtp.received.length, 1, 'nothing to tell when there was no address')
})

t.test("another account's email is email_taken, and only after the password is right", async (t) => {
  const app = await build(t)
  const user = await signUp(app)
  const other = await signUp(app)
  const taken = `${other.username.toUpperCase()}@example.com`
  t.equal((await patchMe(app, user, { email: taken, current_password: 'wrong' })).json().errors[0].code, 'incorrect_password')
  t.equal((await patchMe(app, user, { email: taken, current_password: PASSWORD })).json().code, 'email_taken')
  t.equal(await emailOf(app, user), `${user.username}@example.com`)
})

t.test('a password change that commits while an email change is being checked wins: the email stays', async (t) => {
  // The email change's password check is held right after argon2 said yes,
  // until a password change from another session has committed.
  let hold: Promise<void> | undefined
  let held!: () => void
  const checking = new Promise<void>((resolve) => (held = resolve))
  const hasher = watchedHasher(async () => {
    if (!hold) return
    held()
    await hold
  })
  const app = await build(t, { passwords: hasher.passwords })
  const user = await signUp(app)
  const owner = await signIn(app, user.username)
  let release!: () => void
  hold = new Promise((resolve) => (release = resolve))

  const emailChange = patchMe(app, user, { email: `${uniqueName('thief')}@example.com`, current_password: PASSWORD })
  await checking
  const gate = hold
  hold = undefined
  const change = await app.call({
    method: 'POST',
    url: '/v1/auth/password/change',
    headers: bearer(owner.access),
    payload: { old_password: PASSWORD, new_password: NEW_PASSWORD },
  })
  t.equal(change.statusCode, 204, 'the owner changed the password, ending the other session')
  release()
  await gate
  const res = await emailChange
  t.equal(res.statusCode, 401, 'the email change, checked against the old password, changes nothing')
  t.equal(res.json().code, 'token_revoked')
  t.equal(await emailOf(app, user), `${user.username}@example.com`)
})

t.test('an email change racing a password change from the same session: the password it checked must still be current', async (t) => {
  let hold: Promise<void> | undefined
  let held!: () => void
  const checking = new Promise<void>((resolve) => (held = resolve))
  const hasher = watchedHasher(async () => {
    if (!hold) return
    held()
    await hold
  })
  const app = await build(t, { passwords: hasher.passwords })
  const user = await signUp(app)
  let release!: () => void
  hold = new Promise((resolve) => (release = resolve))
  const emailChange = patchMe(app, user, { email: `${uniqueName()}@example.com`, current_password: PASSWORD })
  await checking
  hold = undefined
  const change = await app.call({
    method: 'POST',
    url: '/v1/auth/password/change',
    headers: bearer(user.access),
    payload: { old_password: PASSWORD, new_password: NEW_PASSWORD },
  })
  t.equal(change.statusCode, 204, 'this session stays signed in')
  release()
  const res = await emailChange
  t.equal(res.statusCode, 400)
  t.equal(res.json().errors[0].code, 'incorrect_password', 'the password it was given is no longer the password')
  t.equal(await emailOf(app, user), `${user.username}@example.com`)
})
