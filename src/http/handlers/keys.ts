import type { HandlerContext, Handlers } from './context.js'

/** What other services verify tokens with. */
export function keyHandlers(_context: HandlerContext): Handlers {
  return {
    async getJwks() {
      return { keys: [] }
    },
  }
}
