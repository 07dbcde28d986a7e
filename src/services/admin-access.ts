import { sessionStanding } from '../db/sessions.js'
import { findUserById } from '../db/users.js'
import { problem } from '../errors.js'
import type { AccessClaims } from '../tokens/access-token.js'
import type { ServiceDeps } from './deps.js'
import type { Actor } from './security-events.js'

/**
 * Whether an access token may use the admin API: its user, read now (not the
 * token's is_staff claim, which may be older than a demotion), is active
 * staff, and its session is live in the database (a deactivation on another
 * instance counts before this one's denylist hears of it). Returns the actor
 * the audit log names.
 */
export async function authorizeStaff(deps: Pick<ServiceDeps, 'db' | 'clock'>, auth: AccessClaims): Promise<Actor> {
  const id = Number(auth.sub)
  const standing = await sessionStanding(deps.db, id, auth.sid, new Date(deps.clock.now()))
  if (standing !== 'live') throw problem('token_revoked', { detail: 'The session has ended.' })
  const user = await findUserById(deps.db, id)
  if (!user?.is_active || !user.is_staff) throw problem('forbidden', { detail: 'The admin API is for staff users and ADMIN_TOKENS.' })
  return `user:${id}`
}
