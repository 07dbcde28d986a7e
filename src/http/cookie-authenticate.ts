import type { FastifyRequest } from 'fastify'
import { findPresentedRefreshToken } from '../db/refresh-tokens.js'
import { problem } from '../errors.js'
import type { ServiceDeps } from '../services/deps.js'
import { hashOpaqueToken } from '../tokens/opaque-token.js'
import type { RefreshCookie } from './refresh-cookie.js'
import type { SecurityCheck } from './security.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The session the refresh cookie belongs to, when the cookie authenticated the request. */
    cookieSession: { userId: number; sessionId: string } | null
  }
}

/**
 * The refreshCookie scheme (a logout with only the cookie, after a page
 * reload lost the access token): the session of the cookie's refresh token,
 * if it is still live. The CSRF checks ran before (routes.ts).
 */
export function cookieCredential(deps: Pick<ServiceDeps, 'db' | 'clock'>, cookie: RefreshCookie): SecurityCheck {
  return {
    presented: (request) => cookie.read(request) !== undefined,
    async check(request: FastifyRequest) {
      const presented = cookie.read(request)
      if (presented === undefined) throw problem('not_authenticated')
      const token = await findPresentedRefreshToken(deps.db, hashOpaqueToken(presented))
      const now = deps.clock.now()
      if (!token || !token.is_active) throw problem('token_invalid', { detail: 'Unknown refresh token, or an inactive account.' })
      if (token.session_revoked_at || token.session_expires_at.getTime() <= now) throw problem('token_revoked', { detail: 'The session has ended.' })
      request.cookieSession = { userId: token.user_id, sessionId: token.session_id }
    },
  }
}
