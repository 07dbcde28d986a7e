// The yardsticks, in a process of their own: a bare Fastify route, and the
// same route behind @fastify/jwt alone (no denylist, no database).
import fastifyJwt from '@fastify/jwt'
import Fastify from 'fastify'

const app = Fastify({ logger: false })
await app.register(fastifyJwt, { secret: process.env.JWT_SECRET!, verify: { algorithms: ['HS256'] } })
app.get('/', async () => ({ hello: 'world' }))
app.get('/jwt', { onRequest: [async (request) => void (await request.jwtVerify())] }, async (request) => ({
  sub: (request.user as { sub: string }).sub,
}))
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) })
process.once('SIGTERM', () => void app.close())
