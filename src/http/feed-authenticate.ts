import type { FastifyRequest } from 'fastify'
import { problem } from '../errors.js'
import { createStaticTokenCheck } from './static-tokens.js'

/** The revocationFeed scheme: a REVOCATION_FEED_TOKENS credential; without any, the feed is off. */
export function createFeedAuthenticate(tokens: readonly string[]) {
  const check = createStaticTokenCheck(tokens)
  return async function authenticateFeed(request: FastifyRequest): Promise<void> {
    if (tokens.length === 0) throw problem('not_found', { detail: 'The revocation feed is off: set REVOCATION_FEED_TOKENS.' })
    check(request)
  }
}
