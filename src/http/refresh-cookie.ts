import type { FastifyReply, FastifyRequest } from 'fastify'
import type { TokenResponse } from '../services/views.js'

export const REFRESH_COOKIE = 'keyturn_refresh'
const cookiePath = '/v1/auth'

/**
 * With REFRESH_COOKIE=true the refresh token travels only in an HttpOnly,
 * Secure, SameSite=Strict cookie scoped to /v1/auth: page scripts never see it.
 */
export interface RefreshCookie {
  /** Moves a response's refresh token into the cookie (when enabled). */
  deliver<T extends { tokens: TokenResponse }>(reply: FastifyReply, result: T): T
  read(request: FastifyRequest): string | undefined
  clear(reply: FastifyReply): void
}

export function createRefreshCookie(enabled: boolean): RefreshCookie {
  if (!enabled) {
    return { deliver: (_reply, result) => result, read: () => undefined, clear: () => {} }
  }
  return {
    deliver(reply, result) {
      const { refresh_token, refresh_expires_in, ...tokens } = result.tokens
      if (refresh_token === undefined) return result
      reply.setCookie(REFRESH_COOKIE, refresh_token, {
        httpOnly: true,
        secure: true,
        sameSite: 'strict',
        path: cookiePath,
        maxAge: refresh_expires_in,
      })
      return { ...result, tokens }
    },
    read: (request) => request.cookies?.[REFRESH_COOKIE],
    clear(reply) {
      reply.clearCookie(REFRESH_COOKIE, { path: cookiePath, httpOnly: true, secure: true, sameSite: 'strict' })
    },
  }
}
