// @keyturn/verifier/fastify against a real Fastify server over HTTP.
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import { createAuthenticateHook, keyturnAuth } from '../src/fastify.js'
import { assertAdapterAnswers } from './support/adapter-cases.js'
import { assertProblem, get } from './support/http.js'
import { startKeyturnStub } from './support/keyturn-stub.js'
import { AUDIENCE, ISSUER, SECRET, signHs256 } from './support/tokens.js'
import { manualClock, testVerifier } from './support/verifier.js'

async function listen(t: Test, app: ReturnType<typeof Fastify>): Promise<string> {
  t.teardown(() => app.close())
  return app.listen({ host: '127.0.0.1', port: 0 })
}

t.test('the plugin answers as keyturn does, in every case', async (t) => {
  const stub = await startKeyturnStub()
  t.teardown(() => stub.close())
  const clock = manualClock()
  const verifier = testVerifier(t, { secret: SECRET, now: clock.now, revocations: { url: stub.feedUrl, token: stub.feedToken } })
  await verifier.ready()
  const app = Fastify()
  await app.register(keyturnAuth, { verifier })
  // Routes in a child context: the decorators must have escaped the plugin's encapsulation.
  await app.register(async (routes) => {
    routes.get('/hello', { onRequest: routes.authenticate }, async (request) => ({ hello: request.auth!.username, sub: request.auth!.sub }))
    routes.get('/open', async (request) => ({ auth: request.auth }))
  })
  await assertAdapterAnswers(t, await listen(t, app), stub, clock)
})

t.test('headerTypes adds schemes, as AUTH_HEADER_TYPES does', async (t) => {
  const verifier = testVerifier(t, { secret: SECRET })
  const app = Fastify()
  await app.register(keyturnAuth, { verifier, headerTypes: ['Bearer', 'JWT'] })
  app.get('/me', { onRequest: app.authenticate }, async (request) => ({ sub: request.auth!.sub }))
  const base = await listen(t, app)
  const token = await signHs256()
  t.same((await get(`${base}/me`, `JWT ${token}`)).body, { sub: '42' })
  t.same((await get(`${base}/me`, `jwt ${token}`)).body, { sub: '42' })
  t.same((await get(`${base}/me`, `Bearer ${token}`)).body, { sub: '42' })
  assertProblem(t, await get(`${base}/me`, `Token ${token}`), 'not_authenticated', 'a scheme not listed')
})

t.test('given options, the plugin makes the verifier, waits for it to be ready, and closes it with the app', async (t) => {
  const stub = await startKeyturnStub()
  t.teardown(() => stub.close())
  const app = Fastify()
  await app.register(keyturnAuth, {
    issuer: ISSUER,
    audience: AUDIENCE,
    secret: SECRET,
    revocations: { url: stub.feedUrl, token: stub.feedToken },
  })
  app.get('/me', { onRequest: app.authenticate }, async (request) => ({ sid: request.auth!.sid }))
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  t.ok(stub.feedRequests.length >= 1, 'synced before listening')
  t.same((await get(`${base}/me`, `Bearer ${await signHs256({ sid: 's1' })}`)).body, { sid: 's1' })
  await app.close()
  t.rejects(app.verifier.verify(await signHs256()), { code: 'unavailable' }, 'closed with the app')
})

t.test('with pluginTimeout 0 the app waits for keyturn to come up, however long it takes', async (t) => {
  const stub = await startKeyturnStub()
  t.teardown(() => stub.close())
  stub.setFeedMode('fail')
  const app = Fastify({ pluginTimeout: 0 })
  t.teardown(() => app.close())
  app.register(keyturnAuth, { issuer: ISSUER, audience: AUDIENCE, secret: SECRET, revocations: { url: stub.feedUrl, token: stub.feedToken } })
  app.register(async (routes) => {
    routes.get('/me', { onRequest: routes.authenticate }, async (request) => ({ sid: request.auth!.sid }))
  })
  const listening = app.listen({ host: '127.0.0.1', port: 0 })
  // Retries back off from 100 ms: by the third request Fastify's default of 10 s would be the only limit left.
  await stub.feedRequested(3)
  stub.setFeedMode('ok')
  const base = await listening
  t.same((await get(`${base}/me`, `Bearer ${await signHs256({ sid: 's2' })}`)).body, { sid: 's2' })
})

t.test('a verifier that cannot become ready fails the app start, loudly', async (t) => {
  const stub = await startKeyturnStub()
  t.teardown(() => stub.close())
  const app = Fastify()
  t.teardown(() => app.close())
  app.register(keyturnAuth, { issuer: ISSUER, audience: AUDIENCE, secret: SECRET, revocations: { url: stub.feedUrl, token: 'wrong' } })
  await t.rejects(async () => void (await app.ready()), { message: 'the revocation feed answered 401 token_invalid' })
})

t.test('createAuthenticateHook works without the plugin', async (t) => {
  const verifier = testVerifier(t, { secret: SECRET })
  const app = Fastify()
  app.decorateRequest('auth', null)
  app.get('/me', { onRequest: createAuthenticateHook(verifier) }, async (request) => ({ sub: request.auth!.sub }))
  const base = await listen(t, app)
  t.same((await get(`${base}/me`, `Bearer ${await signHs256()}`)).body, { sub: '42' })
  assertProblem(t, await get(`${base}/me`), 'not_authenticated', 'no header')
})
