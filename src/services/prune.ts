import type { Db } from '../db/create-db.js'
import { deleteExpiredPasswordResets } from '../db/password-resets.js'
import { deleteExpiredRefreshTokens } from '../db/refresh-tokens.js'
import { deleteExpiredRevocations } from '../db/revocations.js'
import { deleteFinishedSessions } from '../db/sessions.js'

export interface PruneCounts {
  revocations: number
  refresh_tokens: number
  sessions: number
  password_reset_tokens: number
}

/**
 * Deletes what can no longer matter: denylist entries past their tokens'
 * expiry, expired refresh and reset tokens, and sessions that are over and whose access
 * tokens have all expired (until then a logout must still find the session to
 * revoke it). Keeps every table bounded.
 */
export async function prune(db: Db, now: Date, leewayMs: number): Promise<PruneCounts> {
  return {
    revocations: await deleteExpiredRevocations(db, now),
    refresh_tokens: await deleteExpiredRefreshTokens(db, now),
    sessions: await deleteFinishedSessions(db, now, new Date(now.getTime() - leewayMs)),
    password_reset_tokens: await deleteExpiredPasswordResets(db, now),
  }
}
