import { sql } from 'kysely'
import { precompiled } from './precompiled.js'
import type { NewSession } from './schema.js'
import type { Executor, Trx } from './transaction.js'

export async function insertSession(db: Executor, session: NewSession): Promise<void> {
  await db.insertInto('sessions').values(session).execute()
}

export interface SessionSelector {
  userId: number
  /** Only this session. */
  only?: string
  /** Every session but this one. */
  except?: string
}

export interface RevokedSession {
  id: string
  access_expires_at: Date
}

/** Ends the selected live sessions; returns what was ended, for the denylist. */
export function revokeSessions(
  trx: Trx,
  selector: SessionSelector,
  reason: string,
  revokedAt: Date,
): Promise<RevokedSession[]> {
  let query = trx
    .updateTable('sessions')
    .set({ revoked_at: revokedAt, revoked_reason: reason })
    .where('user_id', '=', selector.userId)
    .where('revoked_at', 'is', null)
  if (selector.only !== undefined) query = query.where('id', '=', selector.only)
  if (selector.except !== undefined) query = query.where('id', '!=', selector.except)
  return query.returning(['id', 'access_expires_at']).execute()
}

/**
 * Sessions that are over (expired or revoked) and whose access tokens have all
 * expired, `tokensExpiredBy` allowing for leeway: nothing can refer to them.
 */
export async function deleteFinishedSessions(db: Executor, now: Date, tokensExpiredBy: Date): Promise<number> {
  const result = await db
    .deleteFrom('sessions')
    .where((eb) => eb.or([eb('expires_at', '<=', now), eb('revoked_at', 'is not', null)]))
    .where('access_expires_at', '<=', tokensExpiredBy)
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}

export interface LiveSession {
  id: string
  created_at: Date
  last_used_at: Date
  expires_at: Date
  user_agent: string | null
  ip: string | null
}

/**
 * A user's sessions that can still be used: not ended, not past their absolute
 * end, and either refreshed within `idleSince` or holding an unexpired access token.
 */
export function listLiveSessions(db: Executor, userId: number, now: Date, idleSince: Date): Promise<LiveSession[]> {
  return db
    .selectFrom('sessions')
    .select(['id', 'created_at', 'last_used_at', 'expires_at', 'user_agent', 'ip'])
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .where((eb) => eb.or([eb('last_used_at', '>', idleSince), eb('access_expires_at', '>', now)]))
    .orderBy('last_used_at', 'desc')
    .execute()
}

/** Whether the session exists and is this user's (ended or not). */
export async function isUsersSession(db: Executor, userId: number, sessionId: string): Promise<boolean> {
  const row = await db.selectFrom('sessions').select('id').where('id', '=', sessionId).where('user_id', '=', userId).executeTakeFirst()
  return row !== undefined
}

/**
 * Where a user's session stands for a request that changes something: live
 * (not ended, not past its end), ended, or not a session of this user at all.
 * One primary-key look-up.
 */
export async function sessionStanding(db: Executor, userId: number, sessionId: string, now: Date): Promise<'live' | 'ended' | undefined> {
  const [row] = await sessionStandingQuery(db, { userId, sessionId, now })
  return row === undefined ? undefined : row.live ? 'live' : 'ended'
}

const sessionStandingQuery = precompiled<{ userId: number; sessionId: string; now: Date }, { live: boolean }>((db, slot) =>
  db
    .selectFrom('sessions')
    .select(sql<boolean>`revoked_at is null and expires_at > ${slot('now')}`.as('live'))
    .where('id', '=', slot('sessionId'))
    .where('user_id', '=', slot('userId')),
)
