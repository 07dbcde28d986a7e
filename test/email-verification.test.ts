// EMAIL_VERIFICATION: links on registration and email change, single use and
// expiry, resend without enumeration, no squatting, and mandatory's 403.
import t from 'tap'
import { build, fileDb, login, me, refresh, TestClock, uniqueName } from './helper.js'
import {
  accountsApp,
  askReset,
  introspect,
  linkTo,
  loginWith,
  noticeMail,
  patchMe,
  PASSWORD,
  register,
  resend,
  resetMail,
  uniqueEmail,
  verifyEmail,
  verifyMail,
} from './accounts-support.js'
import { eventually } from './smtp-sink.js'
import { watchedHasher } from './watched-argon2.js'

const optional = { EMAIL_VERIFICATION: 'optional' }
const mandatory = { EMAIL_VERIFICATION: 'mandatory' }

t.test('optional: the address counts once its link is followed, and the link works once', async (t) => {
  const { app, smtp } = await accountsApp(t, optional)
  const username = uniqueName()
  const email = `${username}@example.com`
  const res = await register(app, { username, email, password: PASSWORD })
  t.equal(res.statusCode, 201, 'signed in at once')
  t.equal(res.json().user.email_verified, false)
  t.equal((await introspect(app, res.json().tokens.access_token)).json().email_verified, false, 'the claim')
  const token = await linkTo(smtp.received, email, verifyMail)
  t.match(smtp.received[0]!.raw, /https:\/\/app\.example\/verify#token=/)
  const stored = await app.db.selectFrom('email_verification_tokens').select(['token_hash', 'email']).where('user_id', '=', res.json().user.id).execute()
  t.equal(stored.length, 1)
  t.not(stored[0]!.token_hash, token, 'stored hashed')

  t.equal((await login(app, email)).json().code, 'invalid_credentials', 'an unverified address is no login name')
  t.equal((await login(app, username)).statusCode, 200)
  t.equal((await askReset(app, email)).statusCode, 202)

  const verified = await verifyEmail(app, token)
  t.equal(verified.statusCode, 200, verified.body)
  t.equal(verified.json().email_verified, true)
  t.equal(verified.json().email, email)
  const again = await verifyEmail(app, token)
  t.equal(again.statusCode, 400)
  t.equal(again.json().code, 'verification_token_invalid', 'single use')

  const signedIn = await login(app, email)
  t.equal(signedIn.statusCode, 200, 'now it signs in')
  t.equal((await introspect(app, signedIn.json().tokens.access_token)).json().email_verified, true)
  t.equal((await me(app, res.json().tokens.access_token)).json().email_verified, true, 'the cached user follows')
  t.equal((await askReset(app, email)).statusCode, 202)
  await linkTo(smtp.received, email, resetMail)
  t.equal(smtp.received.filter((mail) => resetMail.test(mail.raw)).length, 1, 'only the reset asked after verification was sent')
})

t.test('a verification link expires after EMAIL_VERIFY_TTL', async (t) => {
  const clock = new TestClock()
  const { app, smtp } = await accountsApp(t, { ...optional, EMAIL_VERIFY_TTL: '10m' }, { clock })
  const email = uniqueEmail()
  t.equal((await register(app, { username: uniqueName(), email, password: PASSWORD })).statusCode, 201)
  const token = await linkTo(smtp.received, email, verifyMail)
  t.match(smtp.received.at(-1)!.raw, /within 10 minutes/)
  clock.advance(10 * 60_000)
  t.equal((await verifyEmail(app, token)).json().code, 'verification_token_invalid', 'expired')
  t.equal((await resend(app, email)).statusCode, 202)
  const fresh = await linkTo(smtp.received, email, verifyMail, 2)
  clock.advance(9 * 60_000)
  t.equal((await verifyEmail(app, fresh)).statusCode, 200, 'a new link works within its time')
})

t.test('resend: the same answer for an unknown, a verified and an unverified address; mail only for the last', async (t) => {
  const { app, smtp } = await accountsApp(t, optional)
  const verifiedEmail = uniqueEmail('verified')
  const waitingEmail = uniqueEmail('waiting')
  t.equal((await register(app, { username: uniqueName(), email: verifiedEmail, password: PASSWORD })).statusCode, 201)
  t.equal((await verifyEmail(app, await linkTo(smtp.received, verifiedEmail, verifyMail))).statusCode, 200)
  t.equal((await register(app, { username: uniqueName(), email: waitingEmail, password: PASSWORD })).statusCode, 201)
  await linkTo(smtp.received, waitingEmail, verifyMail)
  const before = smtp.received.length

  const answers = []
  for (const email of [uniqueEmail('unknown'), verifiedEmail, waitingEmail]) {
    const res = await resend(app, email)
    answers.push({ status: res.statusCode, body: res.body, type: res.headers['content-type'] })
  }
  t.same(answers[0], answers[1], 'unknown and verified alike')
  t.same(answers[1], answers[2], 'verified and unverified alike')
  t.equal(answers[0]!.status, 202)
  await linkTo(smtp.received, waitingEmail, verifyMail, 2)
  await app.app.close()
  t.same(smtp.received.slice(before).map((mail) => mail.to), [[waitingEmail]], 'one mail, to the waiting address')
})

t.test('resend is capped per account (EMAIL_VERIFY_MAX_PER_HOUR) and rate-limited per IP', async (t) => {
  const { app, smtp } = await accountsApp(t, { ...optional, EMAIL_VERIFY_MAX_PER_HOUR: '2', RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_EMAIL_VERIFY_RESEND_IP: '3/1h' })
  const email = uniqueEmail()
  t.equal((await register(app, { username: uniqueName(), email, password: PASSWORD })).statusCode, 201)
  const statuses = []
  for (let i = 0; i < 4; i++) statuses.push((await resend(app, email)).statusCode)
  t.same(statuses, [202, 202, 202, 429])
  await app.app.close()
  t.equal(smtp.received.length, 2, 'the registration mail and one resend: the cap')
})

t.test('no squatting (username,email): an unverified address blocks no one, and its verifier keeps it', async (t) => {
  const { app, smtp } = await accountsApp(t, optional)
  const address = uniqueEmail('ceo')
  const squatter = await register(app, { username: uniqueName('squatter'), email: address, password: PASSWORD })
  t.equal(squatter.statusCode, 201)
  const squatterLink = await linkTo(smtp.received, address, verifyMail)
  const owner = await register(app, { username: uniqueName('owner'), email: address.toUpperCase().replace('EXAMPLE.COM', 'example.com'), password: PASSWORD })
  t.equal(owner.statusCode, 201, 'the owner registers the same address')
  const ownerLink = await linkTo(smtp.received, owner.json().user.email, verifyMail)
  t.equal((await verifyEmail(app, ownerLink)).statusCode, 200)
  const late = await verifyEmail(app, squatterLink)
  t.equal(late.statusCode, 409)
  t.equal(late.json().code, 'email_taken', 'a clear conflict for the one who did not verify first')
  t.equal((await login(app, address)).json().user.id, owner.json().user.id, 'the address signs the owner in')
  t.equal((await register(app, { username: uniqueName(), email: address, password: PASSWORD })).json().code, 'email_taken', 'a verified address is taken')
  const third = await register(app, { username: uniqueName('third'), email: uniqueEmail(), password: PASSWORD })
  const patched = await patchMe(app, third.json().tokens.access_token, { email: address, current_password: PASSWORD })
  t.equal(patched.json().code, 'email_taken', 'and cannot be moved onto another account')
})

t.test('no squatting (LOGIN_FIELDS=email, optional): the newest registration holds an unverified address until one verifies', async (t) => {
  const { app, smtp } = await accountsApp(t, { ...optional, LOGIN_FIELDS: 'email' })
  const address = uniqueEmail('victim')
  const squatter = await register(app, { email: address, password: 'the squatter passphrase' })
  t.equal(squatter.statusCode, 201)
  const squatterLink = await linkTo(smtp.received, address, verifyMail)
  t.equal((await loginWith(app, { email: address, password: 'the squatter passphrase' })).statusCode, 200, 'unverified, it signs in (optional)')
  const owner = await register(app, { email: address, password: PASSWORD })
  t.equal(owner.statusCode, 201, 'not blocked by the earlier unverified registration')
  t.equal((await loginWith(app, { email: address, password: 'the squatter passphrase' })).json().code, 'invalid_credentials', 'the hold moved')
  t.equal((await loginWith(app, { email: address, password: PASSWORD })).json().user.id, owner.json().user.id)
  t.equal((await askReset(app, address)).statusCode, 202)
  const ownerLink = await linkTo(smtp.received, address, verifyMail, 2)
  t.equal((await verifyEmail(app, ownerLink)).statusCode, 200)
  t.equal((await verifyEmail(app, squatterLink)).json().code, 'email_taken')
  t.equal((await register(app, { email: address, password: PASSWORD })).json().code, 'email_taken', 'verified: taken for good')
  await app.app.close()
  t.equal(smtp.received.filter((mail) => resetMail.test(mail.raw)).length, 0, 'no reset to an unverified address')
})

t.test('mandatory: 202 without tokens; 403 only after the password checked out, at the cost of any login', async (t) => {
  const hasher = watchedHasher()
  const { app, smtp } = await accountsApp(t, mandatory, { passwords: hasher.passwords })
  const username = uniqueName()
  const email = `${username}@example.com`
  const res = await register(app, { username, email, password: PASSWORD })
  t.equal(res.statusCode, 202, res.body)
  t.notOk('tokens' in res.json())
  t.equal(res.json().user.email_verified, false)
  t.equal((await app.db.selectFrom('sessions').select('id').where('user_id', '=', res.json().user.id).execute()).length, 0, 'no session')
  t.equal((await register(app, { username: uniqueName(), password: PASSWORD })).json().errors[0].pointer, '/email', 'an address is required')

  const costs: Record<string, string[]> = {}
  for (const [label, name, password] of [
    ['unverified, right password', username, PASSWORD],
    ['unverified, wrong password', username, 'not the password'],
    ['unknown name', uniqueName('nobody'), PASSWORD],
  ] as const) {
    hasher.reset()
    const answer = await login(app, name, password)
    costs[label] = [...hasher.calls]
    t.equal(answer.statusCode, label === 'unverified, right password' ? 403 : 401, label)
    t.equal(answer.json().code, label === 'unverified, right password' ? 'email_not_verified' : 'invalid_credentials', label)
  }
  t.same(costs['unverified, right password'], costs['unknown name'], 'the same argon2 work')
  t.same(costs['unverified, wrong password'], costs['unknown name'])

  t.equal((await verifyEmail(app, await linkTo(smtp.received, email, verifyMail))).statusCode, 200)
  t.equal((await login(app, username)).statusCode, 200, 'verified: signed in')
  t.equal((await login(app, email)).statusCode, 200, 'by the address too')
})

t.test('mandatory: the sessions of an account that is not verified cannot refresh', async (t) => {
  const { db } = await fileDb()
  const before = await build(t, { db })
  const username = uniqueName()
  const made = await register(before, { username, email: `${username}@example.com`, password: PASSWORD })
  t.equal(made.statusCode, 201)
  const after = await build(t, { db, env: mandatory })
  const res = await refresh(after, made.json().tokens.refresh_token)
  t.equal(res.statusCode, 403)
  t.equal(res.json().code, 'email_not_verified')
  t.equal((await refresh(before, made.json().tokens.refresh_token)).statusCode, 200, 'nothing was rotated by the refusal')
})

t.test('an email change with verification on waits for its link; the old address stays the name meanwhile', async (t) => {
  const { app, smtp } = await accountsApp(t, optional)
  const username = uniqueName()
  const oldEmail = `${username}@example.com`
  const made = await register(app, { username, email: oldEmail, password: PASSWORD })
  t.equal((await verifyEmail(app, await linkTo(smtp.received, oldEmail, verifyMail))).statusCode, 200)
  const access = made.json().tokens.access_token
  t.equal((await askReset(app, oldEmail)).statusCode, 202)
  const resetToken = await linkTo(smtp.received, oldEmail, resetMail)

  const newEmail = uniqueEmail('moved')
  const res = await patchMe(app, access, { email: newEmail, current_password: PASSWORD })
  t.equal(res.statusCode, 200, res.body)
  t.equal(res.json().email, oldEmail)
  t.equal(res.json().pending_email, newEmail)
  t.equal(res.json().email_verified, true)
  await eventually(() => smtp.received.some((mail) => noticeMail.test(mail.raw)))
  const notice = smtp.received.find((mail) => noticeMail.test(mail.raw))!
  t.same(notice.to, [oldEmail], 'the old address is told now')
  t.notMatch(notice.raw, newEmail)
  const link = await linkTo(smtp.received, newEmail, verifyMail)
  t.equal((await login(app, oldEmail)).statusCode, 200, 'the old address still signs in')
  t.equal((await login(app, newEmail)).statusCode, 401, 'the new one not yet')

  const swapped = await verifyEmail(app, link)
  t.equal(swapped.statusCode, 200, swapped.body)
  t.equal(swapped.json().email, newEmail)
  t.equal(swapped.json().pending_email, null)
  t.equal((await login(app, newEmail)).statusCode, 200, 'the login name moved')
  t.equal((await login(app, oldEmail)).statusCode, 401)
  const confirm = await app.call({ method: 'POST', url: '/v1/auth/password/reset/confirm', payload: { token: resetToken, new_password: 'a brand new passphrase 2026' } })
  t.equal(confirm.json().code, 'reset_token_invalid', 'the reset link mailed to the old address is void')
  t.equal((await me(app, access)).json().email, newEmail)
})

t.test('a pending address verified by someone else meanwhile is a clear 409; setting the old one back cancels', async (t) => {
  const { app, smtp } = await accountsApp(t, optional)
  const user = await register(app, { username: uniqueName(), email: uniqueEmail(), password: PASSWORD })
  const wanted = uniqueEmail('wanted')
  const pending = await patchMe(app, user.json().tokens.access_token, { email: wanted, current_password: PASSWORD })
  t.equal(pending.json().pending_email, wanted)
  const link = await linkTo(smtp.received, wanted, verifyMail)
  const rival = await register(app, { username: uniqueName('rival'), email: wanted, password: PASSWORD })
  t.equal(rival.statusCode, 201, 'a pending address blocks no one either')
  t.equal((await verifyEmail(app, await linkTo(smtp.received, wanted, verifyMail, 2))).statusCode, 200)
  const conflict = await verifyEmail(app, link)
  t.equal(conflict.statusCode, 409)
  t.equal(conflict.json().code, 'email_taken')
  t.match(conflict.json().detail, /verified this address first/)
  const mine = await me(app, user.json().tokens.access_token)
  t.equal(mine.json().pending_email, wanted, 'nothing changed')

  const cancelled = await patchMe(app, user.json().tokens.access_token, { email: user.json().user.email, current_password: PASSWORD })
  t.equal(cancelled.json().pending_email, null, 'the current address again cancels the pending one')
})

t.test('none: no verification mail; the verify endpoint knows no token', async (t) => {
  const { app, smtp } = await accountsApp(t, {})
  const email = uniqueEmail()
  const res = await register(app, { username: uniqueName(), email, password: PASSWORD })
  t.equal(res.statusCode, 201)
  t.equal((await resend(app, email)).statusCode, 202)
  t.equal((await verifyEmail(app, 'no-such-token')).json().code, 'verification_token_invalid')
  t.equal((await login(app, email)).statusCode, 200, 'the address signs in at once')
  await app.app.close()
  t.equal(smtp.received.length, 0)
})
