import { sql, type QueryCreator } from 'kysely'
import { precompiled } from './precompiled.js'
import type { Database, NewRefreshToken } from './schema.js'
import type { Executor } from './transaction.js'

export async function insertRefreshToken(db: Executor, token: NewRefreshToken): Promise<void> {
  await db.insertInto('refresh_tokens').values(token).execute()
}

export async function deleteExpiredRefreshTokens(db: Executor, now: Date): Promise<number> {
  const result = await db.deleteFrom('refresh_tokens').where('expires_at', '<=', now).executeTakeFirst()
  return Number(result.numDeletedRows)
}

/** A presented refresh token, with what a refresh decides on: its session and its owner. */
export interface PresentedRefreshToken {
  expires_at: Date
  retired_at: Date | null
  successor_sealed: string | null
  session_id: string
  session_expires_at: Date
  session_revoked_at: Date | null
  user_id: number
  username: string | null
  is_staff: boolean
  profile: Record<string, unknown>
  is_active: boolean
  email_verified: boolean
}

/** Refresh tokens joined to their session and its user. */
function withOwners(db: QueryCreator<Database>) {
  return db
    .selectFrom('refresh_tokens')
    .innerJoin('sessions', 'sessions.id', 'refresh_tokens.session_id')
    .innerJoin('users', 'users.id', 'sessions.user_id')
}

export function findPresentedRefreshToken(db: Executor, tokenHash: string): Promise<PresentedRefreshToken | undefined> {
  return withOwners(db)
    .select([
      'refresh_tokens.expires_at',
      'refresh_tokens.retired_at',
      'refresh_tokens.successor_sealed',
      'sessions.id as session_id',
      'sessions.expires_at as session_expires_at',
      'sessions.revoked_at as session_revoked_at',
      'users.id as user_id',
      'users.username',
      'users.is_staff',
      'users.profile',
      'users.is_active',
      'users.email_verified',
    ])
    .where('refresh_tokens.token_hash', '=', tokenHash)
    .executeTakeFirst()
}

export interface Rotation {
  tokenHash: string
  successorHash: string
  /** The successor, sealed, kept on the retired token for a race within the grace interval. */
  successorSealed: string
  now: Date
  /** now + REFRESH_TOKEN_TTL; the successor never outlives its session. */
  successorExpiresAt: Date
  /** exp of the access token that will be issued with the successor (capped at the session's end). */
  accessExpiresAt: Date
  /** EMAIL_VERIFICATION=mandatory: only an account whose address is verified may refresh. */
  verifiedOnly: boolean
}

export interface Rotated {
  session_id: string
  session_expires_at: Date
  user_id: number
  username: string | null
  is_staff: boolean
  profile: Record<string, unknown>
  email_verified: boolean
  successor_expires_at: Date
}

/**
 * The usual refresh in one statement: if the presented token is current
 * (not retired, not expired, its session live and unexpired, its owner active),
 * retire it, store its successor, and note on the session when it was used
 * and how long its access tokens live. Each step runs only if the one before
 * it did, and an UPDATE that waited on a row lock re-checks its condition
 * against the row as committed: two refreshes of one token never both retire
 * it, and a logout that commits first leaves nothing to issue. Returns
 * undefined when the token was not current, or stopped being so meanwhile.
 */
export async function rotateIfCurrent(db: Executor, rotation: Rotation): Promise<Rotated | undefined> {
  return (await rotateIfCurrentQuery(db, rotation))[0]
}

const rotateIfCurrentQuery = precompiled<Rotation, Rotated>((db, slot) =>
  db
    .with('presented', (qb) =>
      withOwners(qb)
        .select([
          'refresh_tokens.token_hash',
          'sessions.id as session_id',
          'sessions.expires_at as session_expires_at',
          'users.id as user_id',
          'users.username',
          'users.is_staff',
          'users.profile',
          'users.email_verified',
        ])
        .where('refresh_tokens.token_hash', '=', slot('tokenHash'))
        .where('refresh_tokens.retired_at', 'is', null)
        .where('refresh_tokens.expires_at', '>', slot('now'))
        .where('sessions.revoked_at', 'is', null)
        .where('sessions.expires_at', '>', slot('now'))
        .where('users.is_active', '=', sql.lit(true))
        .where(sql<boolean>`(users.email_verified or not ${slot('verifiedOnly')}::boolean)`),
    )
    .with('touched', (qb) =>
      qb
        .updateTable('sessions')
        .set({ last_used_at: slot('now'), access_expires_at: noteAccessExpiry(slot('accessExpiresAt')) })
        .where('id', '=', (eb) => eb.selectFrom('presented').select('session_id'))
        .where('revoked_at', 'is', null)
        .returning('id'),
    )
    .with('claimed', (qb) =>
      qb
        .updateTable('refresh_tokens')
        .set({ retired_at: slot('now'), successor_sealed: slot('successorSealed') })
        .where('token_hash', '=', (eb) => eb.selectFrom('presented').select('token_hash'))
        .where('retired_at', 'is', null)
        .where((eb) => eb.exists(eb.selectFrom('touched').select('id')))
        .returning('token_hash'),
    )
    .with('issued', (qb) =>
      qb
        .insertInto('refresh_tokens')
        .columns(['session_id', 'token_hash', 'created_at', 'expires_at'])
        .expression((eb) =>
          eb
            .selectFrom(['claimed', 'presented'])
            .select([
              'presented.session_id',
              sql<string>`${slot('successorHash')}::text`.as('token_hash'),
              sql<Date>`${slot('now')}::timestamptz`.as('created_at'),
              sql<Date>`least(${slot('successorExpiresAt')}::timestamptz, presented.session_expires_at)`.as('expires_at'),
            ]),
        )
        .returning('expires_at'),
    )
    .selectFrom(['presented', 'issued'])
    .select([
      'presented.session_id',
      'presented.session_expires_at',
      'presented.user_id',
      'presented.username',
      'presented.is_staff',
      'presented.profile',
      'presented.email_verified',
      'issued.expires_at as successor_expires_at',
    ]),
)

/**
 * Within the grace interval a retired token is answered with its session's
 * current token: if that token is still current (not retired, not expired) and
 * its session live, the session is marked used and the token's expiry
 * returned. Undefined when it was rotated or its session ended meanwhile.
 */
export async function touchForRace(
  db: Executor,
  race: { sessionId: string; currentHash: string; now: Date; accessExpiresAt: Date },
): Promise<{ current_expires_at: Date } | undefined> {
  return db
    .with('current', (qb) =>
      qb
        .selectFrom('refresh_tokens')
        .select('expires_at')
        .where('token_hash', '=', race.currentHash)
        .where('session_id', '=', race.sessionId)
        .where('retired_at', 'is', null)
        .where('expires_at', '>', race.now),
    )
    .with('touched', (qb) =>
      qb
        .updateTable('sessions')
        .set({ last_used_at: race.now, access_expires_at: noteAccessExpiry(race.accessExpiresAt) })
        .where('id', '=', race.sessionId)
        .where('revoked_at', 'is', null)
        .where((eb) => eb.exists(eb.selectFrom('current').select('expires_at')))
        .returning('id'),
    )
    .selectFrom(['current', 'touched'])
    .select('current.expires_at as current_expires_at')
    .executeTakeFirst()
}

/**
 * The session's access_expires_at after issuing a token that expires at
 * `expiresAt`: the latest of all its tokens, and never past the session's end
 * (an access token is capped there too). A revocation lasts until this.
 */
function noteAccessExpiry(expiresAt: Date) {
  return sql<Date>`greatest(access_expires_at, least(${expiresAt}::timestamptz, expires_at))`
}
