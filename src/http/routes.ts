import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { rateLimitHooks, type RateLimitContext } from './rate-limits.js'
import { securityHook, type SecurityCheck } from './security.js'
import type { Operation } from './spec.js'

export type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>

/**
 * One route per operation of openapi.yaml, with the spec's schemas for
 * validation and serialization. Every operation needs a handler and every
 * handler an operation: a mismatch stops the start.
 */
export function registerOperations(
  app: FastifyInstance,
  operations: Operation[],
  handlers: Record<string, Handler>,
  options: RateLimitContext & {
    /** The check of each security scheme openapi.yaml names (bearerAuth: an access token; ...). */
    security: Record<string, SecurityCheck>
    /** The CSRF checks of operations that read the refresh cookie (x-keyturn-refresh-cookie), in cookie mode. */
    csrf?: (operation: { bearerAccepted: boolean }) => (request: FastifyRequest) => Promise<void>
  },
): void {
  const unimplemented = operations.filter((operation) => !handlers[operation.operationId])
  const unspecified = Object.keys(handlers).filter((id) => !operations.some((op) => op.operationId === id))
  if (unimplemented.length > 0 || unspecified.length > 0) {
    throw new Error(
      `openapi.yaml and the handlers disagree: ` +
        `no handler for [${unimplemented.map((op) => op.operationId).join(', ')}], ` +
        `not in the spec [${unspecified.join(', ')}]`,
    )
  }
  for (const operation of operations) {
    const authenticate = securityHook(operation, options.security)
    const csrf = operation.readsRefreshCookie && options.csrf
    app.route({
      method: operation.method as 'GET',
      url: operation.url,
      schema: operation.schema,
      config: { operationId: operation.operationId },
      // Before the body is read: a refused request changes nothing.
      onRequest: csrf ? [csrf({ bearerAccepted: operation.securitySchemes.includes('bearerAuth') })] : [],
      preValidation: [
        ...(operation.optionalBody ? [emptyBodyAsObject] : []),
        ...(operation.normalizedFields.length > 0 ? [normalize(operation.normalizedFields)] : []),
      ],
      preHandler: [
        ...(authenticate ? [authenticate] : []),
        ...rateLimitHooks(app, operation, options),
      ],
      handler: handlers[operation.operationId]!,
    })
  }
}

/**
 * Refuses, at start, any route openapi.yaml does not describe: whatever
 * registers it (a plugin, a stray app.get), the service cannot grow an
 * undocumented endpoint. HEAD is implied by GET, as Fastify adds it.
 */
export function guardUndocumentedRoutes(app: FastifyInstance, operations: Operation[]): void {
  const documented = new Set(operations.map((operation) => `${operation.method} ${operation.url}`))
  // CORS preflights (@fastify/cors, with CORS_ORIGINS) are answered for every path; they carry no data.
  documented.add('OPTIONS *')
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      const key = `${method === 'HEAD' ? 'GET' : method} ${route.url}`
      if (!documented.has(key)) throw new Error(`${method} ${route.url} is not in openapi.yaml; describe it there first`)
    }
  })
}

async function emptyBodyAsObject(request: FastifyRequest): Promise<void> {
  if (request.body === undefined || request.body === null) request.body = {}
}

/** Unicode NFKC on the named body fields, before the spec's checks see them. */
function normalize(fields: string[]) {
  return async function normalizeFields(request: FastifyRequest): Promise<void> {
    const body = request.body as Record<string, unknown> | null
    if (!body || typeof body !== 'object') return
    for (const field of fields) if (typeof body[field] === 'string') body[field] = (body[field] as string).normalize('NFKC')
  }
}
