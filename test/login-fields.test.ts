// LOGIN_FIELDS: which names register and sign in, in the service and in the
// spec it serves and validates with.
import t from 'tap'
import { parse } from 'yaml'
import { bearer, build, login, refresh, uniqueName } from './helper.js'
import { accountsApp, askReset, introspect, linkTo, loginWith, patchMe, PASSWORD, register, resetMail, uniqueEmail } from './accounts-support.js'

const servedSchemas = async (app: Awaited<ReturnType<typeof build>>) => {
  const res = await app.call({ method: 'GET', url: '/openapi.yaml' })
  return parse(res.body).components.schemas
}

t.test('LOGIN_FIELDS=email: registration takes no username, the email signs in, refreshes and resets', async (t) => {
  const { app, smtp } = await accountsApp(t, { LOGIN_FIELDS: 'email' })
  const email = uniqueEmail()
  const res = await register(app, { email, password: PASSWORD, first_name: 'Ada' })
  t.equal(res.statusCode, 201, res.body)
  const { user, tokens } = res.json()
  t.equal(user.username, null)
  t.equal(user.email, email)
  t.equal(user.email_verified, false, 'no one verified it (EMAIL_VERIFICATION=none)')
  const claims = (await introspect(app, tokens.access_token)).json()
  t.equal(claims.active, true)
  t.notOk('username' in claims, 'no username claim')
  t.equal(claims.email_verified, false)

  const withUsername = await register(app, { username: uniqueName(), email: uniqueEmail(), password: PASSWORD })
  t.equal(withUsername.statusCode, 400)
  t.same(withUsername.json().errors, [{ pointer: '/username', code: 'unknown_field', detail: 'is not a known field' }])
  const withoutEmail = await register(app, { password: PASSWORD })
  t.same(withoutEmail.json().errors, [{ pointer: '/email', code: 'required', detail: 'is required' }])
  t.same((await register(app, { email: null, password: PASSWORD })).json().errors?.[0]?.pointer, '/email', 'null is no address')
  t.equal((await register(app, { email: email.toUpperCase(), password: PASSWORD })).json().code, 'email_taken')

  const signedIn = await loginWith(app, { email: email.toUpperCase(), password: PASSWORD })
  t.equal(signedIn.statusCode, 200, signedIn.body)
  t.equal((await loginWith(app, { email, password: 'wrong' })).json().code, 'invalid_credentials')
  const asUsername = await loginWith(app, { username: email, password: PASSWORD })
  t.equal(asUsername.statusCode, 400, 'the served spec takes `email` only')
  t.ok(asUsername.json().errors.some((error: { pointer: string; code: string }) => error.pointer === '/username' && error.code === 'unknown_field'))
  t.equal((await refresh(app, signedIn.json().tokens.refresh_token)).statusCode, 200)

  // The email is the name: a change (with the password) moves the login name.
  const moved = uniqueEmail('moved')
  const changed = await patchMe(app, tokens.access_token, { email: moved, current_password: PASSWORD })
  t.equal(changed.statusCode, 200, changed.body)
  t.equal(changed.json().email, moved)
  t.equal((await loginWith(app, { email: moved, password: PASSWORD })).statusCode, 200)
  t.equal((await loginWith(app, { email, password: PASSWORD })).statusCode, 401)

  t.equal((await askReset(app, moved)).statusCode, 202)
  t.ok(await linkTo(smtp.received, moved, resetMail), 'the reset goes to the address')
  t.match(smtp.received.find((mail) => resetMail.test(mail.raw))!.raw, /reset the password of your account/)
})

t.test('LOGIN_FIELDS=username: an email is never a login name', async (t) => {
  const app = await build(t, { env: { LOGIN_FIELDS: 'username' } })
  const username = uniqueName()
  const email = `${username}@example.com`
  t.equal((await register(app, { username, email, password: PASSWORD })).statusCode, 201)
  t.equal((await login(app, username)).statusCode, 200)
  t.equal((await login(app, email)).json().code, 'invalid_credentials', 'the address in `username` is no login name')
  const byEmailField = await loginWith(app, { email, password: PASSWORD })
  t.equal(byEmailField.statusCode, 400)
  t.ok(
    byEmailField.json().errors.some((error: { pointer: string; code: string }) => error.pointer === '/email' && error.code === 'unknown_field'),
    '`email` is not a field of the served LoginRequest',
  )
  t.equal((await register(app, { email: uniqueEmail(), password: PASSWORD })).json().errors[0].pointer, '/username', 'a username is required')
  t.equal((await register(app, { username: uniqueName(), email, password: PASSWORD })).json().code, 'email_taken', 'addresses stay unique')
})

t.test('LOGIN_FIELDS=username,email (the default): either name, in either field', async (t) => {
  const app = await build(t)
  const username = uniqueName()
  const email = `${username}@example.com`
  t.equal((await register(app, { username, email, password: PASSWORD })).statusCode, 201)
  for (const payload of [{ username }, { username: email }, { email }, { email: username }]) {
    t.equal((await loginWith(app, { ...payload, password: PASSWORD })).statusCode, 200, JSON.stringify(payload))
  }
  const neither = await loginWith(app, { password: PASSWORD })
  t.equal(neither.statusCode, 400)
  t.same(neither.json().errors.map((error: { pointer: string }) => error.pointer).sort(), ['/email', '/username'])
})

t.test('the served spec states the required fields of each configuration, and validation follows it', async (t) => {
  const cases = [
    { env: {}, register: ['username', 'password'], login: ['password'], loginFields: ['username', 'email', 'password'] },
    { env: { LOGIN_FIELDS: 'email' }, register: ['email', 'password'], login: ['email', 'password'], loginFields: ['email', 'password'] },
    { env: { LOGIN_FIELDS: 'username' }, register: ['username', 'password'], login: ['username', 'password'], loginFields: ['username', 'password'] },
    { env: { EMAIL_VERIFICATION: 'mandatory' }, register: ['username', 'password', 'email'], login: ['password'], loginFields: ['username', 'email', 'password'] },
    { env: { LOGIN_FIELDS: 'email', EMAIL_VERIFICATION: 'mandatory' }, register: ['email', 'password'], login: ['email', 'password'], loginFields: ['email', 'password'] },
  ]
  for (const expected of cases) {
    const app = await build(t, { env: expected.env })
    const schemas = await servedSchemas(app)
    const label = JSON.stringify(expected.env)
    t.same(schemas.RegisterRequest.required, expected.register, `${label}: RegisterRequest.required`)
    t.equal('username' in schemas.RegisterRequest.properties, expected.register.includes('username'), `${label}: username offered`)
    t.same(schemas.LoginRequest.required, expected.login, `${label}: LoginRequest.required`)
    t.same(Object.keys(schemas.LoginRequest.properties), expected.loginFields, `${label}: LoginRequest fields`)
    t.same(schemas.User.properties.username.type, ['string', 'null'], `${label}: User.username may be null`)
    if (expected.register.includes('email')) {
      const res = await register(app, { ...(expected.register.includes('username') ? { username: uniqueName() } : {}), password: PASSWORD })
      t.same(res.json().errors, [{ pointer: '/email', code: 'required', detail: 'is required' }], `${label}: validated as served`)
    }
    await app.app.close()
  }
})

t.test('an account from before LOGIN_FIELDS=email keeps its username; its email signs it in', async (t) => {
  const before = await build(t)
  const username = uniqueName()
  t.equal((await register(before, { username, email: `${username}@example.com`, password: PASSWORD })).statusCode, 201)
  const after = await build(t, { env: { LOGIN_FIELDS: 'email' } })
  const res = await loginWith(after, { email: `${username}@example.com`, password: PASSWORD })
  t.equal(res.statusCode, 200)
  t.equal(res.json().user.username, username)
  const me = await after.call({ method: 'GET', url: '/v1/auth/me', headers: bearer(res.json().tokens.access_token) })
  t.equal(me.json().username, username)
})
