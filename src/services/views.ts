import type { UserRow } from '../db/schema.js'
import type { Profile } from './profile.js'

/** The API's user: what a client may see of a row (never the password hash). */
export interface User {
  id: number
  /** Null for an account without one (LOGIN_FIELDS=email). */
  username: string | null
  email: string | null
  email_verified: boolean
  /** A new address waiting for its verification link; `email` stays the login and reset name meanwhile. */
  pending_email: string | null
  first_name: string
  last_name: string
  is_staff: boolean
  created_at: string
  last_login_at: string | null
  profile: Profile
}

export function toUser(row: UserRow): User {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    email_verified: row.email_verified,
    pending_email: row.pending_email,
    first_name: row.first_name,
    last_name: row.last_name,
    is_staff: row.is_staff,
    created_at: row.created_at.toISOString(),
    last_login_at: row.last_login_at?.toISOString() ?? null,
    profile: row.profile,
  }
}

/** The OAuth 2 token response (RFC 6749 §5.1). */
export interface TokenResponse {
  access_token: string
  token_type: 'Bearer'
  expires_in: number
  refresh_token?: string
  refresh_expires_in?: number
}
