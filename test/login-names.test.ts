import t from 'tap'
import { bearer, build, login, PASSWORD, signUp, type TestApp, uniqueName } from './helper.js'

const register = (app: TestApp, payload: Record<string, unknown>) =>
  app.call({ method: 'POST', url: '/v1/auth/register', payload: { password: PASSWORD, ...payload } })

t.test('usernames and emails share one namespace: no one can take a name that logs in as someone else', async (t) => {
  const app = await build(t)
  const victim = uniqueName('victim')
  t.equal((await register(app, { username: victim, email: `${victim}@example.com` })).statusCode, 201)

  const squat = await register(app, { username: `${victim.toUpperCase()}@Example.com` })
  t.equal(squat.statusCode, 409, "a username equal to another account's email is taken")
  t.equal(squat.json().code, 'username_taken')
  t.equal((await login(app, `${victim}@example.com`)).statusCode, 200, 'the owner still logs in by email')

  const early = uniqueName('early')
  t.equal((await register(app, { username: `${early}@example.com` })).statusCode, 201)
  const clash = await register(app, { username: uniqueName('late'), email: `${early}@EXAMPLE.com` })
  t.equal(clash.statusCode, 409, "an email equal to another account's username is taken")
  t.equal(clash.json().code, 'email_taken')

  const other = await signUp(app)
  const patch = await app.call({
    method: 'PATCH',
    url: '/v1/auth/me',
    headers: bearer(other.access),
    payload: { email: `${early}@example.com`, current_password: PASSWORD },
  })
  t.equal(patch.statusCode, 409)
  t.equal(patch.json().code, 'email_taken')
})

t.test('a username may be the account’s own email', async (t) => {
  const app = await build(t)
  const address = `${uniqueName('self')}@example.com`
  t.equal((await register(app, { username: address, email: address.toUpperCase() })).statusCode, 201)
  t.equal((await login(app, address)).statusCode, 200)
})

t.test('changing the email moves the login name with it', async (t) => {
  const app = await build(t)
  const user = await signUp(app)
  const moved = `${uniqueName('moved')}@example.com`
  await app.call({ method: 'PATCH', url: '/v1/auth/me', headers: bearer(user.access), payload: { email: moved, current_password: PASSWORD } })
  t.equal((await login(app, moved)).statusCode, 200, 'the new email logs in')
  t.equal((await login(app, `${user.username}@example.com`)).statusCode, 401, 'the old one does not')
  const reused = await register(app, { username: uniqueName(), email: `${user.username}@example.com` })
  t.equal(reused.statusCode, 201, 'and is free for someone else')
})

t.test('case is folded once, the same way, whatever the database', async (t) => {
  const app = await build(t)
  for (const [registered, ...logins] of [
    ['ΟΔΥΣΣΕΑΣ', 'οδυσσεας', 'οδυσσεασ', 'ΟΔΥΣΣΕΑΣ'],
    ['İstanbul', 'İstanbul', 'İSTANBUL'],
    ['Straße', 'STRASSE', 'strasse'],
  ] as const) {
    t.equal((await register(app, { username: registered })).statusCode, 201, registered)
    for (const name of logins) t.equal((await login(app, name)).statusCode, 200, `${registered} logs in as ${name}`)
  }
  t.equal((await register(app, { username: 'strasse' })).json().code, 'username_taken', 'ß and ss are one name')
})

t.test('usernames are NFKC-normalized before they are checked', async (t) => {
  const app = await build(t)
  const composed = await register(app, { username: 'Jose\u0301' })
  t.equal(composed.statusCode, 201, 'a decomposed accent is accepted')
  t.equal(composed.json().user.username, 'José')
  t.equal((await login(app, 'José')).statusCode, 200)
  for (const tricky of ['admin⑴', '½', '\uFDFA'.repeat(150)]) {
    const res = await register(app, { username: tricky })
    t.equal(res.statusCode, 400, `${tricky.slice(0, 10)}… is refused after normalization`)
    t.equal(res.json().code, 'validation_failed')
  }
})

t.test('a deactivated account cannot change its profile', async (t) => {
  const app = await build(t, { env: { USER_CACHE_TTL: '0' } })
  const user = await signUp(app)
  await app.db.updateTable('users').set({ is_active: false }).where('id', '=', user.id).execute()
  const res = await app.call({
    method: 'PATCH',
    url: '/v1/auth/me',
    headers: bearer(user.access),
    payload: { first_name: 'Mallory', email: `${uniqueName()}@example.com`, current_password: PASSWORD },
  })
  t.equal(res.statusCode, 401)
  const row = await app.db.selectFrom('users').select(['first_name', 'email']).where('id', '=', user.id).executeTakeFirstOrThrow()
  t.same(row, { first_name: '', email: `${user.username}@example.com` }, 'nothing was written')
})
