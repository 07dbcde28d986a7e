import type { HandlerContext, Handlers } from './context.js'

/** GET /metrics on the service's port (metricsCredential has let the request through). */
export function metricsHandlers({ metrics }: HandlerContext): Handlers {
  return {
    async getMetrics(_request, reply) {
      const text = await metrics!.registry.metrics()
      return reply.type(metrics!.registry.contentType).header('cache-control', 'no-store').send(text)
    },
  }
}
