import t from 'tap'
import { build, PASSWORD, signUp, type TestApp } from './helper.js'

const attempt = async (app: TestApp, username: string, password: string) => {
  const started = performance.now()
  const res = await app.call({ method: 'POST', url: '/v1/auth/login', payload: { username, password } })
  return { status: res.statusCode, ms: performance.now() - started }
}

const failedLogins = async (app: TestApp, id: number) =>
  (await app.db.selectFrom('users').select('failed_logins').where('id', '=', id).executeTakeFirstOrThrow()).failed_logins

t.test('failed logins slow the account down, and the owner still gets in', async (t) => {
  const app = await build(t, { env: { LOGIN_SLOWDOWN_AFTER: '2', LOGIN_SLOWDOWN_MAX: '400ms' } })
  const user = await signUp(app)
  t.equal((await attempt(app, user.username, 'wrong one')).status, 401)
  t.equal((await attempt(app, user.username, 'wrong two')).status, 401)
  t.equal(await failedLogins(app, user.id), 2)

  const slowed = await attempt(app, user.username, 'wrong three')
  t.equal(slowed.status, 401)
  t.ok(slowed.ms >= 380, `the third wrong guess waited (${Math.round(slowed.ms)} ms)`)

  const owner = await attempt(app, user.username.toUpperCase(), PASSWORD)
  t.equal(owner.status, 200, 'the right password is not refused, only slowed')
  t.ok(owner.ms >= 380, `it waited too (${Math.round(owner.ms)} ms)`)
  t.equal(await failedLogins(app, user.id), 0, 'a success resets the count')
})

t.test('LOGIN_SLOWDOWN_MAX=0 turns the slowdown off', async (t) => {
  const app = await build(t, { env: { LOGIN_SLOWDOWN_AFTER: '1', LOGIN_SLOWDOWN_MAX: '0' } })
  const user = await signUp(app)
  for (let i = 0; i < 4; i++) await attempt(app, user.username, 'wrong')
  t.equal(await failedLogins(app, user.id), 4, 'still counted')
  t.equal((await attempt(app, user.username, PASSWORD)).status, 200)
})
