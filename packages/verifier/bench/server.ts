// The server side of bench/verify.ts, in a process of its own: the same
// route bare and behind the plugin (HS256 and EdDSA verifiers, one app).
import Fastify from 'fastify'
import { createVerifier } from '../src/index.js'
import { createAuthenticateHook } from '../src/fastify.js'

const [STUB_URL, FEED_TOKEN, SECRET, ISSUER, AUDIENCE, PORT] = ['STUB_URL', 'FEED_TOKEN', 'SECRET', 'ISSUER', 'AUDIENCE', 'PORT'].map((name) => {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is not set`)
  return value
}) as [string, string, string, string, string, string]
const revocations = { url: `${STUB_URL}/v1/auth/revocations`, token: FEED_TOKEN }
const hs256 = createVerifier({ issuer: ISSUER, audience: AUDIENCE, secret: SECRET, revocations })
const eddsa = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUrl: `${STUB_URL}/.well-known/jwks.json`, revocations })
await Promise.all([hs256.ready(), eddsa.ready()])

const app = Fastify({ logger: false })
app.decorateRequest('auth', null)
const hello = { hello: 'ada', sub: '42' }
app.get('/bare', async () => hello)
// Not measured: the bench reads this process's CPU time around each run (less noisy on a shared machine than req/s).
app.get('/cpu', async () => process.cpuUsage())
app.get('/hs256', { onRequest: createAuthenticateHook(hs256) }, async (request) => ({ hello: request.auth!.username, sub: request.auth!.sub }))
app.get('/eddsa', { onRequest: createAuthenticateHook(eddsa) }, async (request) => ({ hello: request.auth!.username, sub: request.auth!.sub }))
await app.listen({ host: '127.0.0.1', port: Number(PORT) })
process.stdout.write('listening\n')
process.once('SIGTERM', () => void Promise.all([app.close(), hs256.close(), eddsa.close()]))
