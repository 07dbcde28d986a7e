import type { HandlerContext, Handlers } from './context.js'

/** The revocation feed local verifiers follow (the check of its credential runs before). */
export function feedHandlers({ deps }: HandlerContext): Handlers {
  return {
    async getRevocations(request, reply) {
      const { after, wait } = request.query as { after?: string; wait: number }
      // A client that hangs up stops the wait.
      const gone = new AbortController()
      reply.raw.once('close', () => gone.abort())
      return deps.denylist.changesAfter(after === undefined ? undefined : Number(after), wait * 1000, gone.signal)
    },
  }
}
