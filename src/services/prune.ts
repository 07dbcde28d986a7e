import type { Config } from '../config.js'
import type { Db } from '../db/create-db.js'
import { deleteAuditEventsBefore } from '../db/audit-events.js'
import { deleteExpiredVerifications } from '../db/email-verifications.js'
import { deleteStaleLoginAttempts } from '../db/login-attempts.js'
import { deleteExpiredPasswordResets } from '../db/password-resets.js'
import { deleteExpiredRefreshTokens } from '../db/refresh-tokens.js'
import { deleteExpiredRevocations } from '../db/revocations.js'
import { deleteFinishedSessions } from '../db/sessions.js'

export interface PruneCounts {
  revocations: number
  refresh_tokens: number
  sessions: number
  password_reset_tokens: number
  email_verification_tokens: number
  login_attempts: number
  audit_events: number
}

/**
 * Deletes what can no longer matter: denylist entries past their tokens'
 * expiry, expired refresh and reset tokens, sessions that are over and whose access
 * tokens have all expired (until then a logout must still find the session to
 * revoke it), and failed-login counts already forgotten, audit events older than AUDIT_RETENTION. Keeps every table bounded.
 */
export async function prune(db: Db, now: Date, config: Pick<Config, 'jwt' | 'loginSlowdown' | 'audit'>): Promise<PruneCounts> {
  const leewayMs = config.jwt.leewayMs
  return {
    revocations: await deleteExpiredRevocations(db, now),
    refresh_tokens: await deleteExpiredRefreshTokens(db, now),
    sessions: await deleteFinishedSessions(db, now, new Date(now.getTime() - leewayMs)),
    password_reset_tokens: await deleteExpiredPasswordResets(db, now),
    email_verification_tokens: await deleteExpiredVerifications(db, now),
    login_attempts: await deleteStaleLoginAttempts(db, now, config.loginSlowdown.resetMs),
    audit_events: await deleteAuditEventsBefore(db, new Date(now.getTime() - config.audit.retentionMs)),
  }
}
