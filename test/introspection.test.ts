import t from 'tap'
import { loadConfig } from '../src/config.js'
import { build, signUp, testEnv, uniqueName } from './helper.js'

const FIRST = 'introspection-credential-one-0123456789abcdef'
const SECOND = 'introspection-credential-two-0123456789abcdef'

t.test('with INTROSPECTION_TOKENS, /verify needs one of them as a Bearer credential', async (t) => {
  const app = await build(t, { env: { INTROSPECTION_TOKENS: `${FIRST}, ${SECOND}` } })
  const user = await signUp(app)
  const ask = (authorization?: string) =>
    app.call({ method: 'POST', url: '/v1/auth/verify', payload: { token: user.access }, ...(authorization ? { headers: { authorization } } : {}) })

  const none = await ask()
  t.equal(none.statusCode, 401)
  t.equal(none.json().code, 'not_authenticated')
  t.equal(none.headers['www-authenticate'], 'Bearer realm="keyturn"')
  for (const wrong of [`Bearer ${FIRST.slice(0, -1)}`, `Bearer ${FIRST}x`, `Bearer ${user.access}`, `Basic ${FIRST}`, `Bearer ${FIRST} ${SECOND}`]) {
    const res = await ask(wrong)
    t.equal(res.statusCode, 401, wrong.slice(0, 20))
    t.notMatch(res.body, /active/, 'says nothing about the token')
  }
  for (const credential of [FIRST, SECOND]) {
    const res = await ask(`Bearer ${credential}`)
    t.equal(res.statusCode, 200, 'either credential works, so they can rotate')
    t.equal(res.json().active, true)
  }
})

t.test('without INTROSPECTION_TOKENS, /verify needs no credential', async (t) => {
  const app = await build(t)
  const user = await signUp(app)
  t.equal((await app.call({ method: 'POST', url: '/v1/auth/verify', payload: { token: user.access } })).json().active, true)
})

t.test('INTROSPECTION_TOKENS must be long random strings', async (t) => {
  t.throws(() => loadConfig({ ...testEnv, INTROSPECTION_TOKENS: 'short' }), /INTROSPECTION_TOKENS .*at least 32 characters/)
  t.throws(() => loadConfig({ ...testEnv, INTROSPECTION_TOKENS: `${FIRST},,${'x'.repeat(10)}` }), /INTROSPECTION_TOKENS/)
  t.same(loadConfig({ ...testEnv, INTROSPECTION_TOKENS: ` ${FIRST} ,${SECOND}` }).introspection.tokens, [FIRST, SECOND])
})

t.test('/verify is limited per IP: 600 a minute by default, RATE_LIMIT_VERIFY_IP to change it', async (t) => {
  const app = await build(t, { env: { RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_VERIFY_IP: '3/1m' } })
  const verify = (ip: string) => app.call({ method: 'POST', url: '/v1/auth/verify', payload: { token: uniqueName() }, remoteAddress: ip })
  for (let i = 0; i < 3; i++) t.equal((await verify('10.9.0.1')).statusCode, 200)
  const limited = await verify('10.9.0.1')
  t.equal(limited.statusCode, 429)
  t.equal(limited.json().code, 'rate_limited')
  t.ok(Number(limited.headers['retry-after']) > 0)
  t.equal((await verify('10.9.0.2')).statusCode, 200, 'another IP is not affected')

  const defaults = await build(t, { env: { RATE_LIMIT_ENABLED: 'true' } })
  const statuses = new Set<number>()
  for (let i = 0; i < 601; i++) {
    statuses.add((await defaults.app.inject({ method: 'POST', url: '/v1/auth/verify', payload: { token: 'x' }, remoteAddress: '10.9.1.1' })).statusCode)
  }
  t.same([...statuses], [200, 429], 'the 601st in a minute is refused')
})
