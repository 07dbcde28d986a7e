import { insertRevocations, type Revocation } from '../db/revocations.js'
import { revokeSessions, type SessionSelector } from '../db/sessions.js'
import { inTransaction, type Trx } from '../db/transaction.js'
import type { ServiceDeps } from './deps.js'

/** Why sessions ended, recorded on them (sessions.revoked_reason). */
export type RevocationReason =
  | 'logout'
  | 'refresh_token_reused'
  | 'session_ended'
  | 'password_changed'
  | 'password_reset'
  | 'user_deactivated'
  | 'user_deleted'
  | 'ended_by_admin'

/** What ending sessions needs: the CLI has no denylist of its own, and tells the running instances through the table. */
export type RevokeDeps = Pick<ServiceDeps, 'db' | 'clock' | 'config' | 'emit'> & { denylist: Pick<ServiceDeps['denylist'], 'remember'> }

/**
 * Ends sessions inside a transaction: their refresh tokens stop working
 * (refresh checks the session) and their access tokens go on the denylist
 * until the last one issued has expired. Returns the new denylist entries.
 * Only endSessions calls it: it also tells the denylist after the commit.
 */
async function revokeSessionsIn(
  trx: Trx,
  deps: RevokeDeps,
  selector: SessionSelector,
  reason: RevocationReason,
): Promise<Revocation[]> {
  const now = deps.clock.now()
  const ended = await revokeSessions(trx, selector, reason, new Date(now))
  // Verification accepts a token until exp + leeway; the entry must last as long.
  const entries = ended
    .map((session) => ({
      session_id: session.id,
      expires_at: new Date(session.access_expires_at.getTime() + deps.config.jwt.leewayMs),
    }))
    .filter((entry) => entry.expires_at.getTime() > now)
  return insertRevocations(trx, entries, new Date(now))
}

/**
 * The one way sessions end: in one transaction, `alongside` (the change that
 * ends them: a new password, a consumed reset token) and the revocation, then
 * `afterwards` (what needs the sessions ended first: deleting the user);
 * after the commit, this instance's denylist learns of it at once (the others
 * follow the table). Every caller goes through here, so none can forget the
 * second half.
 */
export async function endSessions(
  deps: RevokeDeps,
  selector: SessionSelector,
  reason: RevocationReason,
  alongside?: (trx: Trx) => Promise<void>,
  afterwards?: (trx: Trx) => Promise<void>,
): Promise<void> {
  const revoked = await inTransaction(deps.db, async (trx) => {
    await alongside?.(trx)
    const entries = await revokeSessionsIn(trx, deps, selector, reason)
    await afterwards?.(trx)
    return entries
  })
  deps.denylist.remember(revoked)
  if (revoked.length > 0) deps.emit({ type: 'sessions_revoked', reason, count: revoked.length })
}
