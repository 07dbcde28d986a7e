import net from 'node:net'
import t from 'tap'
import { build, PASSWORD, signUp, uniqueName } from './helper.js'

const login = (app: Awaited<ReturnType<typeof build>>, username: string, ip: string, password = 'wrong-password') =>
  app.call({ method: 'POST', url: '/v1/auth/login', payload: { username, password }, remoteAddress: ip })

t.test('login is limited per IP, with a 429 problem and Retry-After', async (t) => {
  const app = await build(t, { env: { RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_LOGIN_IP: '3/1m' } })
  for (let i = 0; i < 3; i++) t.equal((await login(app, uniqueName(), '10.0.0.1')).statusCode, 401)
  const limited = await login(app, uniqueName(), '10.0.0.1')
  t.equal(limited.statusCode, 429)
  t.equal(limited.json().code, 'rate_limited')
  t.match(limited.headers['content-type'], /^application\/problem\+json/)
  const retryAfter = Number(limited.headers['retry-after'])
  t.ok(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 60, `Retry-After: ${retryAfter}`)
  t.equal((await login(app, uniqueName(), '10.0.0.2')).statusCode, 401, 'another IP is not affected')
})

t.test('login is limited per account and client: guessing elsewhere never locks the owner out', async (t) => {
  const app = await build(t, { env: { RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_LOGIN_USERNAME: '2/1m' } })
  const victim = await signUp(app)
  t.equal((await login(app, victim.username, '10.1.0.1')).statusCode, 401)
  t.equal((await login(app, victim.username.toUpperCase(), '10.1.0.1')).statusCode, 401, 'case does not make a new bucket')
  const third = await login(app, victim.username, '10.1.0.1')
  t.equal(third.statusCode, 429, 'a third guess from the same client is refused')
  t.equal(third.json().code, 'rate_limited')
  for (let i = 0; i < 5; i++) await login(app, victim.username, `10.1.1.${i}`)
  const owner = await login(app, victim.username, '10.1.2.1', PASSWORD)
  t.equal(owner.statusCode, 200, 'the owner, from their own client, still gets in')
})

t.test('the per-account limit counts the account, whichever of its names the guesses use', async (t) => {
  const app = await build(t, { env: { RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_LOGIN_USERNAME: '2/1m' } })
  const victim = await signUp(app)
  t.equal((await login(app, victim.username, '10.2.0.1')).statusCode, 401)
  t.equal((await login(app, `${victim.username.toUpperCase()}@example.com`, '10.2.0.1')).statusCode, 401, 'the email: the same account')
  t.equal((await login(app, victim.username, '10.2.0.1')).statusCode, 429, 'two guesses used the bucket up')
  t.equal((await login(app, `${victim.username}@example.com`, '10.2.0.1')).statusCode, 429)
  const unknown = uniqueName('nobody')
  t.equal((await login(app, unknown, '10.2.0.1')).statusCode, 401, 'a name without an account has a bucket of its own')
  t.equal((await login(app, unknown.toUpperCase(), '10.2.0.1')).statusCode, 401, 'folded as logins are')
  t.equal((await login(app, unknown, '10.2.0.1')).statusCode, 429)
})

t.test('register and refresh are limited per IP', async (t) => {
  const app = await build(t, {
    env: { RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_REGISTER_IP: '1/1h', RATE_LIMIT_REFRESH_IP: '2/1m' },
  })
  const register = (ip: string) =>
    app.call({
      method: 'POST',
      url: '/v1/auth/register',
      payload: { username: uniqueName(), password: PASSWORD },
      remoteAddress: ip,
    })
  t.equal((await register('10.2.0.1')).statusCode, 201)
  const second = await register('10.2.0.1')
  t.equal(second.statusCode, 429)
  t.ok(Number(second.headers['retry-after']) > 3500, 'an hour-long window')
  const refresh = () =>
    app.call({ method: 'POST', url: '/v1/auth/refresh', payload: { refresh_token: 'x'.repeat(43) }, remoteAddress: '10.2.0.2' })
  t.equal((await refresh()).statusCode, 401)
  t.equal((await refresh()).statusCode, 401)
  t.equal((await refresh()).statusCode, 429)
})

t.test('the defaults come from openapi.yaml', async (t) => {
  const app = await build(t, { env: { RATE_LIMIT_ENABLED: 'true', LOGIN_SLOWDOWN_MAX: '0' } })
  const name = uniqueName()
  const statuses = []
  for (let i = 0; i < 11; i++) statuses.push((await login(app, name, '10.3.0.1')).statusCode)
  t.same(statuses, [...Array(10).fill(401), 429], 'x-rate-limit: login per username and client, 10 a minute')
})

t.test('a RATE_LIMIT_ variable that names no limit stops the start', async (t) => {
  await t.rejects(build(t, { env: { RATE_LIMIT_LOGN_IP: '5/1m' } }), /RATE_LIMIT_LOGN_IP names no rate limit/)
})

const redisUp = await new Promise<boolean>((resolve) => {
  const socket = net.connect(6379, '127.0.0.1', () => {
    socket.end()
    resolve(true)
  })
  socket.on('error', () => resolve(false))
})

t.test('with REDIS_URL, instances share the counts', { skip: redisUp ? false : 'no Redis at 127.0.0.1:6379' }, async (t) => {
  const env = { RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_LOGIN_USERNAME: '2/1m', REDIS_URL: 'redis://127.0.0.1:6379' }
  const first = await build(t, { env })
  const second = await build(t, { env, db: first.db })
  const name = `${uniqueName()}${Date.now()}`
  t.equal((await login(first, name, '10.4.0.1')).statusCode, 401)
  t.equal((await login(second, name, '10.4.0.1')).statusCode, 401)
  t.equal((await login(first, name, '10.4.0.1')).statusCode, 429, 'the third attempt, counted across both instances')
})
