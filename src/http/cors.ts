import fastifyCors from '@fastify/cors'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../config.js'

/**
 * Cross-origin calls from the pages of CORS_ORIGINS, and only those (exact
 * origins; never `*`). With the refresh cookie they may send credentials;
 * without it they never need to. A preflight from anywhere else is a 404, and
 * an actual request from elsewhere gets no CORS headers, so the browser hides
 * the answer from the page.
 */
export async function registerCors(app: FastifyInstance, config: Config): Promise<void> {
  const allowed = new Set(config.browser.corsOrigins)
  if (allowed.size === 0) return
  await app.register(fastifyCors, {
    origin: (origin, done) => done(null, origin !== undefined && allowed.has(origin) ? origin : false),
    credentials: config.browser.refreshCookie,
    methods: ['GET', 'POST', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'x-requested-with'],
    // What a page's script needs to read: when to retry, and why a token was refused.
    exposedHeaders: ['retry-after', 'www-authenticate'],
    maxAge: Math.round(config.browser.corsMaxAgeMs / 1000),
    strictPreflight: true,
  })
}
