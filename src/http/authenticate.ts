import type { FastifyRequest } from 'fastify'
import { problem } from '../errors.js'
import type { AccessClaims, AccessTokens } from '../tokens/access-token.js'
import type { Denylist } from '../tokens/denylist.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified access token of a secured operation's caller. */
    auth: AccessClaims | null
  }
}

/**
 * The bearerAuth scheme: a genuine, unexpired, unrevoked access token, or a 401.
 */
export function createAuthenticate(deps: {
  accessTokens: AccessTokens
  denylist: Denylist
  headerTypes: readonly string[]
}) {
  const schemes = new Set(deps.headerTypes.map((type) => type.toLowerCase()))
  return async function authenticate(request: FastifyRequest): Promise<void> {
    const token = bearerToken(request.headers.authorization, schemes)
    const claims = deps.accessTokens.verify(token)
    if (deps.denylist.isRevoked(claims.sid)) throw problem('token_revoked')
    request.auth = claims
  }
}

function bearerToken(header: string | undefined, schemes: Set<string>): string {
  const [scheme = '', token, ...rest] = (header ?? '').trim().split(/\s+/)
  if (!schemes.has(scheme.toLowerCase())) throw problem('not_authenticated')
  if (!token || rest.length > 0) throw problem('token_invalid', { detail: 'The Authorization header is malformed.' })
  return token
}

/** The caller of a secured operation; the route's preHandler has put it there. */
export function authOf(request: FastifyRequest): AccessClaims {
  if (!request.auth) throw problem('not_authenticated')
  return request.auth
}

/** The caller's user and session, from the access token or, where the spec allows it, the refresh cookie. */
export function sessionOf(request: FastifyRequest): { userId: number; sessionId: string } {
  if (request.auth) return { userId: Number(request.auth.sub), sessionId: request.auth.sid }
  if (request.cookieSession) return request.cookieSession
  throw problem('not_authenticated')
}
