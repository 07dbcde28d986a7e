import { insertRevocations, type Revocation } from '../db/revocations.js'
import { revokeSessions, type SessionSelector } from '../db/sessions.js'
import { inTransaction, type Trx } from '../db/transaction.js'
import type { ServiceDeps } from './deps.js'

/** Why sessions ended, recorded on them (sessions.revoked_reason). */
export type RevocationReason = 'logout' | 'refresh_token_reused' | 'session_ended' | 'password_changed' | 'password_reset'

/**
 * Ends sessions inside a caller's transaction: their refresh tokens stop
 * working (refresh checks the session) and their access tokens go on the
 * denylist until the last one issued has expired. Returns the new denylist
 * entries, for the caller to remember() once the transaction has committed.
 */
export async function revokeSessionsIn(
  trx: Trx,
  deps: ServiceDeps,
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

/** Ends sessions in a transaction of its own and applies the result to this instance at once. */
export async function endSessions(deps: ServiceDeps, selector: SessionSelector, reason: RevocationReason): Promise<void> {
  const revoked = await inTransaction(deps.db, (trx) => revokeSessionsIn(trx, deps, selector, reason))
  deps.denylist.remember(revoked)
}
