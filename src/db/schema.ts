import type { Insertable, Selectable, Updateable, Generated } from 'kysely'

export interface UsersTable {
  id: Generated<number>
  /** Null for an account made with LOGIN_FIELDS=email, which signs in with its email alone. */
  username: string | null
  email: string | null
  /** Whether the owner followed a verification link for `email` (or it predates verification, or came verified from an import). */
  email_verified: Generated<boolean>
  /** A new address waiting for its verification link; `email` stays the login and reset name meanwhile. */
  pending_email: string | null
  /** App-specific fields, validated against PROFILE_SCHEMA_FILE. */
  profile: Generated<Record<string, unknown>>
  /** A PHC-format argon2id hash, or a Django hash string kept from an import until the next login. */
  password: string
  first_name: Generated<string>
  last_name: Generated<string>
  is_staff: Generated<boolean>
  is_active: Generated<boolean>
  created_at: Date
  last_login_at: Date | null
}

/** The names a user logs in with, case-folded (see foldLoginName): one namespace for usernames and emails. */
export interface LoginNamesTable {
  name: string
  user_id: number
  /** `unverified_email`: an address not verified yet, held as the only login name of an account under LOGIN_FIELDS=email (see login-names.ts). */
  kind: 'username' | 'email' | 'unverified_email'
}

export interface SessionsTable {
  id: string
  user_id: number
  created_at: Date
  last_used_at: Date
  /** Absolute end of the session (SESSION_MAX_AGE after login), whatever refreshes happen. */
  expires_at: Date
  /** The latest `exp` of any access token issued for this session: what a revocation must outlive. */
  access_expires_at: Date
  revoked_at: Date | null
  revoked_reason: string | null
  user_agent: string | null
  ip: string | null
}

export interface RefreshTokensTable {
  /** SHA-256 of the token, hex: the token itself is never stored. */
  token_hash: string
  session_id: string
  created_at: Date
  expires_at: Date
  /** Set when the token was rotated; a later use is either a grace-interval race or a reuse. */
  retired_at: Date | null
  /** Its successor, sealed (successor-seal.ts), for answering a race within the grace interval. */
  successor_sealed: string | null
}

/**
 * The denylist: sessions whose access tokens must be refused until `expires_at`.
 * Ids are handed out in commit order (see revocations.ts), so "everything after
 * id N" is a complete, cheap feed for caches and followers.
 */
export interface RevocationsTable {
  id: Generated<number>
  session_id: string
  expires_at: Date
  created_at: Date
}

/** Failed password checks per login name, for the progressive slowdown (see login-attempts.ts). */
export interface LoginAttemptsTable {
  /** The login name asked for, folded (foldLoginName), whether or not an account has it. */
  name: string
  /** Failures in a row; forgotten LOGIN_SLOWDOWN_RESET after the last one. */
  failures: number
  last_failed_at: Date
  /** The end of the last attempt slot handed out: the next attempt waits until then, plus its delay. */
  next_attempt_at: Date
}

/** One-time password reset tokens, consumed (deleted) by use. */
export interface PasswordResetTokensTable {
  /** SHA-256 of the token sent by mail, hex. */
  token_hash: string
  user_id: number
  created_at: Date
  expires_at: Date
}

/**
 * Every signing key (JWT_KEYS) an instance has published. `signs_from` is fixed
 * by the first instance to publish the key (JWKS_MAX_AGE later, or at once for
 * a brand-new deployment's first key), so every instance switches together.
 */
/** One-time email verification tokens, consumed (deleted) by use. */
export interface EmailVerificationTokensTable {
  /** SHA-256 of the token sent by mail, hex. */
  token_hash: string
  user_id: number
  /** The address the link went to: the account's email, or its pending_email. */
  email: string
  created_at: Date
  expires_at: Date
}

export interface SigningKeysTable {
  kid: string
  alg: string
  /** RFC 7638 SHA-256 thumbprint of the public key: a kid must never name other key material later. */
  thumbprint: string
  first_published_at: Date
  signs_from: Date
}

/** Security events (see services/security-events.ts); never a secret, the user by id only. */
export interface AuditEventsTable {
  id: string
  occurred_at: Date
  type: string
  user_id: number | null
  session_id: string | null
  ip: string | null
  user_agent: string | null
  reason: string | null
  actor: string | null
}

export interface Database {
  users: UsersTable
  login_names: LoginNamesTable
  sessions: SessionsTable
  refresh_tokens: RefreshTokensTable
  revocations: RevocationsTable
  password_reset_tokens: PasswordResetTokensTable
  email_verification_tokens: EmailVerificationTokensTable
  login_attempts: LoginAttemptsTable
  signing_keys: SigningKeysTable
  audit_events: AuditEventsTable
}

export type UserRow = Selectable<UsersTable>
export type NewUser = Insertable<UsersTable>
export type UserUpdate = Updateable<UsersTable>
export type SessionRow = Selectable<SessionsTable>
export type NewSession = Insertable<SessionsTable>
export type NewRefreshToken = Insertable<RefreshTokensTable>
export type RevocationRow = Selectable<RevocationsTable>
export type SigningKeyRow = Selectable<SigningKeysTable>
export type AuditEventRow = Selectable<AuditEventsTable>

/**
 * Every column of a table, spelled out, for select and returning lists: a
 * column added to the table interface but not here is a compile error.
 * (Naming columns instead of `*` keeps prepared statements valid when a
 * migration adds a column; see prepared-statements.ts.)
 */
function allColumns<Table>() {
  return <const Columns extends readonly (keyof Table & string)[]>(
    ...columns: Columns & ([Exclude<keyof Table, Columns[number]>] extends [never] ? unknown : ['missing a column'])
  ): Columns => columns
}

export const userColumns = allColumns<UsersTable>()(
  'id',
  'username',
  'email',
  'email_verified',
  'pending_email',
  'profile',
  'password',
  'first_name',
  'last_name',
  'is_staff',
  'is_active',
  'created_at',
  'last_login_at',
)
