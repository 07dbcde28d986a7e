// A microservice that trusts keyturn's access tokens without calling keyturn
// per request: it verifies them locally with @keyturn/verifier and follows
// keyturn's revocation feed, so a logout is refused here within a second.
// Plain Node on the built package: `npm run build` at the repository root first.
import Fastify from 'fastify'
import { keyturnAuth } from '@keyturn/verifier/fastify'

const env = process.env
const keyturnUrl = (env.KEYTURN_URL || 'http://127.0.0.1:3000').replace(/\/+$/, '')
// JWKS: "true" for keyturn's own /.well-known/jwks.json, or the URL of one.
const jwksUrl = env.JWKS === 'true' ? `${keyturnUrl}/.well-known/jwks.json` : env.JWKS || undefined

// pluginTimeout 0: the verifier plugin waits for keyturn's keys and feed while
// the app starts, and keyturn may come up well after this service does.
const app = Fastify({ logger: { level: env.LOG_LEVEL || 'info' }, pluginTimeout: 0 })

if (!env.REVOCATION_FEED_TOKEN) app.log.warn('REVOCATION_FEED_TOKEN is unset: a logout takes effect here only when its token expires')

await app.register(keyturnAuth, {
  issuer: env.KEYTURN_ISSUER || 'keyturn',
  audience: env.KEYTURN_AUDIENCE || 'keyturn',
  secret: env.JWT_SECRET || undefined,
  jwksUrl,
  revocations: env.REVOCATION_FEED_TOKEN
    ? {
        url: `${keyturnUrl}/v1/auth/revocations`,
        token: env.REVOCATION_FEED_TOKEN,
        onError: (error) => app.log.warn({ reason: error.message }, 'revocation feed request failed'),
      }
    : undefined,
})

app.get('/healthz', async () => ({ status: 'ok' }))
app.get('/hello', { onRequest: app.authenticate }, async (request) => ({
  hello: request.auth.username,
  sub: request.auth.sub,
}))

for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => void app.close())

await app.listen({ host: env.HOST || '127.0.0.1', port: Number(env.PORT ?? 3001) })
