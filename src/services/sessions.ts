import { isUsersSession, listLiveSessions } from '../db/sessions.js'
import { problem } from '../errors.js'
import type { AccessClaims } from '../tokens/access-token.js'
import type { ClientInfo, ServiceDeps } from './deps.js'
import { endSessions } from './revoke.js'

/** A session as its user sees it in the list of their devices. */
export interface SessionView {
  id: string
  created_at: string
  last_used_at: string
  expires_at: string
  user_agent: string | null
  ip: string | null
  /** The session of the token that asked. */
  current: boolean
}

export async function listSessions(deps: ServiceDeps, auth: AccessClaims): Promise<SessionView[]> {
  const now = deps.clock.now()
  const sessions = await listLiveSessions(
    deps.db,
    Number(auth.sub),
    new Date(now),
    new Date(now - deps.config.refresh.tokenTtlMs),
  )
  return sessions.map((session) => ({
    id: session.id,
    created_at: session.created_at.toISOString(),
    last_used_at: session.last_used_at.toISOString(),
    expires_at: session.expires_at.toISOString(),
    user_agent: session.user_agent,
    ip: session.ip,
    current: session.id === auth.sid,
  }))
}

/** Ends one of the caller's sessions (a lost phone). Someone else's, or no session, is a 404: nothing is told. */
export async function endOwnSession(deps: ServiceDeps, auth: AccessClaims, sessionId: string, client?: ClientInfo): Promise<void> {
  const userId = Number(auth.sub)
  if (!(await isUsersSession(deps.db, userId, sessionId))) throw problem('not_found', { detail: 'No such session.' })
  await endSessions(deps, { userId, only: sessionId }, 'session_ended')
  deps.emit({ type: 'session_ended', userId, sessionId, ...(client ? { client } : {}) })
}
