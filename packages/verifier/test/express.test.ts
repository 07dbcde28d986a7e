// @keyturn/verifier/express against a real Express 5 server over HTTP.
import type { AddressInfo } from 'node:net'
import express from 'express'
import t, { type Test } from 'tap'
import { authenticate } from '../src/express.js'
import { assertAdapterAnswers } from './support/adapter-cases.js'
import { assertProblem, get } from './support/http.js'
import { startKeyturnStub } from './support/keyturn-stub.js'
import { AUDIENCE, ISSUER, SECRET, signHs256 } from './support/tokens.js'
import { manualClock, testVerifier } from './support/verifier.js'

async function listen(t: Test, app: express.Express): Promise<string> {
  const server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  t.teardown(() => new Promise((resolve) => server.close(resolve)))
  t.teardown(() => server.closeAllConnections())
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

t.test('the middleware answers as keyturn does, in every case', async (t) => {
  const stub = await startKeyturnStub()
  t.teardown(() => stub.close())
  const clock = manualClock()
  const verifier = testVerifier(t, { secret: SECRET, now: clock.now, revocations: { url: stub.feedUrl, token: stub.feedToken } })
  await verifier.ready()
  const app = express()
  app.get('/hello', authenticate({ verifier }), (req, res) => {
    res.json({ hello: req.auth!.username, sub: req.auth!.sub })
  })
  app.get('/open', (req, res) => {
    res.json({ auth: req.auth ?? null })
  })
  await assertAdapterAnswers(t, await listen(t, app), stub, clock)
})

t.test('headerTypes, and a verifier made from options', async (t) => {
  const stub = await startKeyturnStub()
  t.teardown(() => stub.close())
  const auth = authenticate({
    issuer: ISSUER,
    audience: AUDIENCE,
    secret: SECRET,
    revocations: { url: stub.feedUrl, token: stub.feedToken },
    headerTypes: ['Bearer', 'JWT'],
  })
  t.teardown(() => auth.verifier.close())
  await auth.verifier.ready()
  const app = express()
  app.use(auth)
  app.get('/me', (req, res) => {
    res.json({ sid: req.auth!.sid })
  })
  const base = await listen(t, app)
  t.same((await get(`${base}/me`, `JWT ${await signHs256({ sid: 's2' })}`)).body, { sid: 's2' })
  assertProblem(t, await get(`${base}/me`, `Token ${await signHs256()}`), 'not_authenticated', 'a scheme not listed')
})

t.test('an unexpected failure goes to express error handling, not a hung request', async (t) => {
  const broken = { ready: async () => {}, close: async () => {}, verify: async () => Promise.reject(new TypeError('boom')) }
  const app = express()
  app.use(authenticate({ verifier: broken }))
  app.get('/me', (_req, res) => {
    res.json({})
  })
  app.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).json({ handled: error.message })
  })
  const base = await listen(t, app)
  t.same((await get(`${base}/me`, 'Bearer x')).body, { handled: 'boom' })
})
