import type { FastifyRequest } from 'fastify'
import type { ClientInfo, ServiceDeps } from '../../services/deps.js'
import type { RefreshCookie } from '../refresh-cookie.js'
import type { Handler } from '../routes.js'

/** What every group of handlers is built from. */
export interface HandlerContext {
  deps: ServiceDeps
  /** openapi.yaml as served. */
  specText: string
  refreshCookie: RefreshCookie
}

/** Handlers keyed by the operationId they implement. */
export type Handlers = Record<string, Handler>

export function clientOf(request: FastifyRequest): ClientInfo {
  return { ip: request.ip ?? null, userAgent: request.headers['user-agent'] ?? null }
}
