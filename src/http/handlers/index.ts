import { accountHandlers } from './account.js'
import { adminHandlers } from './admin.js'
import { authHandlers } from './auth.js'
import type { HandlerContext, Handlers } from './context.js'
import { feedHandlers } from './feed.js'
import { keyHandlers } from './keys.js'
import { metricsHandlers } from './metrics.js'
import { operationHandlers } from './operations.js'

export type { HandlerContext } from './context.js'

/**
 * One method per operationId of openapi.yaml, by area. The spec has validated
 * every body by the time these run; each is a few lines calling a service.
 */
export function createHandlers(context: HandlerContext): Handlers {
  const groups = [authHandlers, accountHandlers, feedHandlers, keyHandlers, operationHandlers, adminHandlers, metricsHandlers].map((group) => group(context))
  const handlers: Handlers = {}
  for (const group of groups) {
    for (const [operationId, handler] of Object.entries(group)) {
      if (handlers[operationId]) throw new Error(`two handlers for ${operationId}`)
      handlers[operationId] = handler
    }
  }
  return handlers
}
