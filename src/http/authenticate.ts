import type { FastifyRequest } from 'fastify'
import type { Clock } from '../clock.js'
import type { Db } from '../db/create-db.js'
import { sessionStanding } from '../db/sessions.js'
import { problem } from '../errors.js'
import type { AccessClaims, AccessTokens } from '../tokens/access-token.js'
import type { Denylist } from '../tokens/denylist.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified access token of a secured operation's caller. */
    auth: AccessClaims | null
  }
}

/** Methods that change nothing: their callers are checked from memory alone. */
const READS = new Set(['GET', 'HEAD', 'OPTIONS'])
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const USER_ID = /^[1-9][0-9]{0,15}$/

/**
 * The bearerAuth scheme: a genuine, unexpired, unrevoked access token, or a
 * 401. Reads (GET) are answered from memory: signature, claims and the
 * denylist. A request that changes something also needs the token's session
 * to be live in the database, one primary-key look-up: the denylist can lag
 * another instance's logout by a sync interval, and a token signed with the
 * shared HS256 secret by someone else names no session keyturn opened. A
 * session that has ended (or is past its end) is `token_revoked`; no session
 * of the token's user at all is `token_invalid`.
 */
export function createAuthenticate(deps: {
  accessTokens: AccessTokens
  denylist: Denylist
  db: Db
  clock: Clock
  headerTypes: readonly string[]
}) {
  const schemes = new Set(deps.headerTypes.map((type) => type.toLowerCase()))
  return async function authenticate(request: FastifyRequest): Promise<void> {
    const token = bearerToken(request.headers.authorization, schemes)
    const claims = deps.accessTokens.verify(token)
    if (deps.denylist.isRevoked(claims.sid)) throw problem('token_revoked')
    if (!READS.has(request.method)) await assertLiveSession(deps, claims)
    request.auth = claims
  }
}

async function assertLiveSession(deps: { db: Db; clock: Clock }, claims: AccessClaims): Promise<void> {
  const noSession = () => problem('token_invalid', { detail: 'The token names no session of its user.' })
  if (!UUID.test(claims.sid) || !USER_ID.test(claims.sub)) throw noSession()
  const standing = await sessionStanding(deps.db, Number(claims.sub), claims.sid, new Date(deps.clock.now()))
  if (standing === undefined) throw noSession()
  if (standing === 'ended') throw problem('token_revoked', { detail: 'The session has ended.' })
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
