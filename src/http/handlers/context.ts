import type { FastifyRequest } from 'fastify'
import type { ClientInfo, ServiceDeps } from '../../services/deps.js'
import type { Metrics } from '../../services/metrics.js'
import type { RefreshCookie } from '../refresh-cookie.js'
import type { Handler } from '../routes.js'

/** What every group of handlers is built from. */
export interface HandlerContext {
  deps: ServiceDeps
  /** openapi.yaml as served. */
  specText: string
  refreshCookie: RefreshCookie
  /** Undefined when metrics are off (neither METRICS_TOKEN nor METRICS_PORT). */
  metrics?: Metrics | undefined
}

/** Handlers keyed by the operationId they implement. */
export type Handlers = Record<string, Handler>

export function clientOf(request: FastifyRequest): ClientInfo {
  return { ip: request.ip ?? null, userAgent: request.headers['user-agent'] ?? null }
}
