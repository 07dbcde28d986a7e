import t from 'tap'
import { bearer, build, PASSWORD, signUp, uniqueName } from './helper.js'

t.test('register creates the account and its first session', async (t) => {
  const app = await build(t)
  const res = await app.call({
    method: 'POST',
    url: '/v1/auth/register',
    payload: { username: 'Alice', password: PASSWORD, email: 'Alice@EXAMPLE.com', first_name: 'Alice', last_name: 'Liddell' },
  })
  t.equal(res.statusCode, 201)
  t.equal(res.headers['cache-control'], 'no-store')
  const { user, tokens } = res.json()
  t.match(user, {
    username: 'Alice',
    email: 'Alice@example.com',
    first_name: 'Alice',
    last_name: 'Liddell',
    is_staff: false,
  })
  t.notOk('password' in user, 'no password field of any kind')
  t.equal(tokens.token_type, 'Bearer')
  t.equal(tokens.expires_in, 900, 'access tokens live 15 minutes by default')
  t.equal(tokens.refresh_expires_in, 7 * 86_400)
  t.ok(tokens.refresh_token.length >= 43, 'at least 256 bits of refresh token')

  const claims = JSON.parse(Buffer.from(tokens.access_token.split('.')[1], 'base64url').toString())
  t.match(claims, { iss: 'keyturn', aud: 'keyturn', sub: String(user.id), username: 'Alice', is_staff: false })
  t.type(claims.sid, 'string')
  t.type(claims.jti, 'string')
  t.equal(claims.exp - claims.iat, 900)

  const stored = await app.db.selectFrom('users').select('password').where('id', '=', user.id).executeTakeFirstOrThrow()
  t.match(stored.password, /^\$argon2id\$v=19\$m=256,p=1,t=1\$/, 'argon2id with the configured parameters')
  const refreshRow = await app.db.selectFrom('refresh_tokens').selectAll().executeTakeFirstOrThrow()
  t.not(refreshRow.token_hash, tokens.refresh_token, 'refresh tokens are stored hashed')
})

t.test('usernames and emails are unique regardless of case', async (t) => {
  const app = await build(t)
  await signUp(app, 'bob')
  const sameName = await app.call({
    method: 'POST',
    url: '/v1/auth/register',
    payload: { username: 'BOB', password: PASSWORD },
  })
  t.equal(sameName.statusCode, 409)
  t.equal(sameName.json().code, 'username_taken')
  const sameEmail = await app.call({
    method: 'POST',
    url: '/v1/auth/register',
    payload: { username: 'robert', password: PASSWORD, email: 'BOB@example.com' },
  })
  t.equal(sameEmail.statusCode, 409)
  t.equal(sameEmail.json().code, 'email_taken')
})

t.test('login by username or email, case-insensitively', async (t) => {
  const app = await build(t)
  const carol = await signUp(app, 'carol')
  for (const login of ['carol', 'CAROL', 'carol@example.com', 'Carol@Example.COM']) {
    const res = await app.call({ method: 'POST', url: '/v1/auth/login', payload: { username: login, password: PASSWORD } })
    t.equal(res.statusCode, 200, login)
    t.equal(res.json().user.id, carol.id)
    t.ok(res.json().user.last_login_at)
  }
  const sessions = await app.db.selectFrom('sessions').select('id').where('user_id', '=', carol.id).execute()
  t.equal(sessions.length, 5, 'one session per login, as one per device')
})

t.test('wrong password, unknown user and inactive account are the same 401', async (t) => {
  const app = await build(t)
  const dave = await signUp(app, 'dave')
  const inactive = await signUp(app, 'erin')
  await app.db.updateTable('users').set({ is_active: false }).where('id', '=', inactive.id).execute()
  const attempts = [
    { username: 'dave', password: 'not the password' },
    { username: 'nobody-here', password: PASSWORD },
    { username: 'erin', password: PASSWORD },
  ]
  const bodies = []
  for (const payload of attempts) {
    const res = await app.call({ method: 'POST', url: '/v1/auth/login', payload })
    t.equal(res.statusCode, 401)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
    t.equal(res.headers['www-authenticate'], 'Bearer realm="keyturn"', 'no token was presented')
    bodies.push(res.body)
  }
  t.equal(new Set(bodies).size, 1, 'the three answers are identical')
  t.equal(JSON.parse(bodies[0]!).code, 'invalid_credentials')
  t.ok(dave)
})

t.test('a hash made with other parameters is upgraded on the next login', async (t) => {
  const app = await build(t)
  const frank = await signUp(app, 'frank')
  const stronger = await build(t, { db: app.db, env: { ARGON2_MEMORY_COST: '512', ARGON2_TIME_COST: '2' } })
  await stronger.call({ method: 'POST', url: '/v1/auth/login', payload: { username: 'frank', password: PASSWORD } })
  const row = await app.db.selectFrom('users').select('password').where('id', '=', frank.id).executeTakeFirstOrThrow()
  t.match(row.password, /^\$argon2id\$v=19\$m=512,p=1,t=2\$/)
  const again = await stronger.call({ method: 'POST', url: '/v1/auth/login', payload: { username: 'frank', password: PASSWORD } })
  t.equal(again.statusCode, 200, 'the upgraded hash verifies')
})

t.test('GET and PATCH me', async (t) => {
  const app = await build(t)
  const grace = await signUp(app, 'grace')
  const me = await app.call({ method: 'GET', url: '/v1/auth/me', headers: bearer(grace.access) })
  t.equal(me.statusCode, 200)
  t.equal(me.json().username, 'grace')
  t.equal(me.headers['cache-control'], 'no-store')

  const patched = await app.call({
    method: 'PATCH',
    url: '/v1/auth/me',
    headers: bearer(grace.access),
    payload: { first_name: 'Grace', last_name: 'Hopper', email: 'grace@NAVY.mil', current_password: PASSWORD },
  })
  t.equal(patched.statusCode, 200)
  t.match(patched.json(), { first_name: 'Grace', last_name: 'Hopper', email: 'grace@navy.mil' })

  const cleared = await app.call({ method: 'PATCH', url: '/v1/auth/me', headers: bearer(grace.access), payload: { email: null, current_password: PASSWORD } })
  t.equal(cleared.json().email, null)
  const unchanged = await app.call({ method: 'PATCH', url: '/v1/auth/me', headers: bearer(grace.access), payload: {} })
  t.equal(unchanged.statusCode, 200)
  t.equal(unchanged.json().last_name, 'Hopper')

  const other = await signUp(app, uniqueName())
  const taken = await app.call({
    method: 'PATCH',
    url: '/v1/auth/me',
    headers: bearer(grace.access),
    payload: { email: `${other.username}@example.com`, current_password: PASSWORD },
  })
  t.equal(taken.statusCode, 409)
  t.equal(taken.json().code, 'email_taken')
  const notAllowed = await app.call({ method: 'PATCH', url: '/v1/auth/me', headers: bearer(grace.access), payload: { is_staff: true } })
  t.equal(notAllowed.statusCode, 400, 'is_staff cannot be set by the user')
})

t.test('me without credentials, with another scheme, with a malformed header', async (t) => {
  const app = await build(t)
  const none = await app.call({ method: 'GET', url: '/v1/auth/me' })
  t.equal(none.statusCode, 401)
  t.equal(none.json().code, 'not_authenticated')
  t.equal(none.headers['www-authenticate'], 'Bearer realm="keyturn"')
  const basic = await app.call({ method: 'GET', url: '/v1/auth/me', headers: { authorization: 'Basic YTpi' } })
  t.equal(basic.json().code, 'not_authenticated')
  const empty = await app.call({ method: 'GET', url: '/v1/auth/me', headers: { authorization: 'Bearer' } })
  t.equal(empty.json().code, 'token_invalid')
  t.match(empty.headers['www-authenticate'], /error="invalid_token"/)
  const garbage = await app.call({ method: 'GET', url: '/v1/auth/me', headers: bearer('not-a-jwt') })
  t.equal(garbage.json().code, 'token_invalid')
})

t.test('AUTH_HEADER_TYPES admits the JWT prefix of django-rest-framework-jwt', async (t) => {
  const app = await build(t, { env: { AUTH_HEADER_TYPES: 'Bearer,JWT' } })
  const henry = await signUp(app, 'henry')
  for (const prefix of ['Bearer', 'JWT', 'jwt']) {
    const res = await app.call({ method: 'GET', url: '/v1/auth/me', headers: { authorization: `${prefix} ${henry.access}` } })
    t.equal(res.statusCode, 200, prefix)
  }
  const plain = await build(t, { db: app.db })
  const jwt = await plain.call({ method: 'GET', url: '/v1/auth/me', headers: { authorization: `JWT ${henry.access}` } })
  t.equal(jwt.statusCode, 401, 'JWT is not accepted unless configured')
})
