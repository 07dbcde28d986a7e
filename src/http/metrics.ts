import { createServer, type Server } from 'node:http'
import type { FastifyInstance, FastifyRequest, onResponseHookHandler } from 'fastify'
import { problem } from '../errors.js'
import type { Metrics } from '../services/metrics.js'
import type { SecurityCheck } from './security.js'
import { createStaticTokenCheck } from './static-tokens.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The operation of openapi.yaml a route serves (routes.ts), for the request metrics. */
    operationId?: string
  }
}

/**
 * Counts every response by operation and status, with its duration. Each
 * route gets a hook of its own that knows its operationId, as reading it per
 * request (request.routeOptions) builds an object each time; the hooks are
 * synchronous, so no promise either.
 */
export function registerRequestMetrics(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onRoute', (route) => {
    const record = metrics.recorder(route.config?.operationId ?? 'unknown')
    const onResponse: onResponseHookHandler = (_request, reply, done) => {
      record(reply.statusCode, reply.elapsedTime / 1000)
      done()
    }
    route.onResponse = [...[route.onResponse ?? []].flat(), onResponse]
  })
  // Unrouted requests meet no route's hook: Fastify's not-found handler answers them.
  const unrouted = metrics.recorder('unknown')
  app.addHook('onResponse', (request, reply, done) => {
    if (request.is404) unrouted(reply.statusCode, reply.elapsedTime / 1000)
    done()
  })
}

/**
 * The metricsToken scheme of GET /metrics on the service's port: METRICS_TOKEN
 * as a Bearer credential. Without one, or with METRICS_PORT (metrics are
 * served there instead), the route is off: 404.
 */
export function metricsCredential(token: string | undefined, port: number | undefined): SecurityCheck {
  const check = createStaticTokenCheck(token === undefined ? [] : [token], { what: 'the METRICS_TOKEN credential' })
  return {
    presented: () => true,
    check: async (request: FastifyRequest) => {
      if (port !== undefined) throw problem('not_found', { detail: 'Metrics are served on METRICS_PORT.' })
      if (token === undefined) throw problem('not_found', { detail: 'Metrics are off: set METRICS_TOKEN or METRICS_PORT.' })
      check(request)
    },
  }
}

/**
 * METRICS_PORT: a listener of its own that serves GET /metrics and nothing
 * else, for a port only the scraper can reach. With METRICS_TOKEN as well, it
 * also asks for the token.
 */
export async function listenForMetrics(metrics: Metrics, { host, port, token }: { host: string; port: number; token: string | undefined }): Promise<Server> {
  const check = token === undefined ? undefined : createStaticTokenCheck([token])
  const server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0]
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found: only GET /metrics is served here.\n')
      return
    }
    try {
      check?.({ headers: request.headers })
    } catch {
      response.writeHead(401, { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Bearer realm="keyturn"' }).end('METRICS_TOKEN is required.\n')
      return
    }
    metrics.registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' }).end(text),
      () => response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('Metrics could not be collected.\n'),
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  return server
}
