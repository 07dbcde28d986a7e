import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { problem } from '../errors.js'

type WithHeaders = Pick<FastifyRequest, 'headers'>

/**
 * A check of `Authorization: Bearer <token>` against a configured list
 * (REVOCATION_FEED_TOKENS, ...). Several tokens are accepted at once so one
 * can be rotated without an outage. Compared as SHA-256 digests in constant
 * time: equal lengths, and no early exit telling how much of a guess matched.
 */
export function createStaticTokenCheck(
  tokens: readonly string[],
  { what = 'a credential' }: { what?: string } = {},
): (request: WithHeaders) => void {
  const matches = createStaticTokenMatcher(tokens)
  return (request) => {
    const [scheme = '', token, ...rest] = (request.headers.authorization ?? '').trim().split(/\s+/)
    if (scheme.toLowerCase() !== 'bearer' || !token) throw problem('not_authenticated', { detail: `This endpoint needs ${what}.` })
    if (rest.length > 0) throw problem('token_invalid', { detail: 'The Authorization header is malformed.' })
    if (!matches(request)) throw problem('token_invalid', { detail: `Not ${what} of this service.` })
  }
}

/** Whether the request's `Authorization: Bearer <token>` is one of `tokens` (constant time, as above). */
export function createStaticTokenMatcher(tokens: readonly string[]): (request: WithHeaders) => boolean {
  const digests = tokens.map(digest)
  return (request) => {
    const [scheme = '', token, ...rest] = (request.headers.authorization ?? '').trim().split(/\s+/)
    if (scheme.toLowerCase() !== 'bearer' || !token || rest.length > 0) return false
    const presented = digest(token)
    let matched = false
    for (const known of digests) matched = timingSafeEqual(presented, known) || matched
    return matched
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest()
}
