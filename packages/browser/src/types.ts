/** The account as keyturn returns it (openapi.yaml `User`); fields added later arrive as extra keys. */
export interface User {
  id: number
  username: string
  email: string | null
  first_name: string
  last_name: string
  is_staff: boolean
  created_at: string
  last_login_at: string | null
  [field: string]: unknown
}

/** The OAuth 2 token response keyturn sends (`tokens`). */
export interface TokenResponse {
  access_token: string
  token_type: 'Bearer'
  /** Seconds. */
  expires_in: number
  /** Absent in cookie mode (it is in the HttpOnly cookie) and when refresh is off. */
  refresh_token?: string
  refresh_expires_in?: number
}

export interface RegisterInput {
  username: string
  password: string
  email?: string
  first_name?: string
  last_name?: string
  [field: string]: unknown
}

export interface LoginInput {
  /** The username or the account's email. */
  username: string
  password: string
}

export type LogoutScope = 'session' | 'others' | 'all'

/**
 * Where the refresh token lives.
 * - `body`: keyturn returns it in JSON (REFRESH_COOKIE=false, keyturn's default); this
 *   package keeps it as `storage` says.
 * - `cookie`: keyturn keeps it in an HttpOnly cookie (REFRESH_COOKIE=true); page
 *   scripts never see it, this package never touches it.
 */
export type RefreshMode = 'body' | 'cookie'

/** Body mode only: `memory` (default), `session` (sessionStorage) or `local` (localStorage). */
export type RefreshTokenStorage = 'memory' | 'session' | 'local'

export type SignOutReason =
  /** logout() in this tab or another. */
  | 'logout'
  /** keyturn refused the session: ended elsewhere, expired, or the refresh token was reused. */
  | 'session-ended'
  /** The access token expired and there was no refresh token to renew it. */
  | 'expired'

/** `this-tab`: this client did it; `other-tab`: another tab of this origin did and told us. */
export type EventSource = 'this-tab' | 'other-tab'

export type AuthEvent =
  | { type: 'signed-in'; user: User | null; source: EventSource }
  | { type: 'refreshed'; source: EventSource }
  | { type: 'signed-out'; reason: SignOutReason; source: EventSource; error?: Error }

export type AuthListener = (event: AuthEvent) => void

export interface AuthClientOptions {
  /** keyturn's URL, e.g. `https://auth.example.com` (no trailing `/v1`). */
  baseUrl: string
  /** Must match keyturn's REFRESH_COOKIE: `cookie` when true, `body` (default) when false. */
  mode?: RefreshMode
  /** Body mode only; see the README for the trade-off. Default `memory`. */
  storage?: RefreshTokenStorage
  /** Seconds before expiry to refresh (default 60), never more than half the token's lifetime. */
  refreshMargin?: number
  /**
   * Origins that `client.fetch` may send the access token to (keyturn's and the
   * page's own always may). A request elsewhere is refused rather than leak the token.
   */
  tokenOrigins?: string[]
  /** Cookie mode, or body mode with stored refresh token: restore the session on load (default true). */
  restore?: boolean
  /** How long a new tab waits for another tab to hand over the session (ms, default 300). */
  handoverTimeout?: number
  /** A fetch to use instead of the global one. */
  fetch?: typeof fetch
}

export interface AuthClient {
  /** Resolves once the session is restored (from another tab, the cookie or storage) or known to be absent. */
  ready(): Promise<void>
  /** The current access token, or null when signed out. Kept in memory only. */
  readonly accessToken: string | null
  /** The signed-in user as last seen (login, register, me), or null. */
  readonly user: User | null
  readonly signedIn: boolean
  register(input: RegisterInput): Promise<User>
  login(input: LoginInput): Promise<User>
  /** Ends the session (`session`, default), the user's other sessions, or all of them. */
  logout(scope?: LogoutScope): Promise<void>
  me(): Promise<User>
  /** Trades the refresh token for new tokens now (one refresh across tabs). */
  refresh(): Promise<void>
  /** fetch with `Authorization: Bearer`, refreshing before expiry and once on a 401. */
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>
  /** Subscribes to signed-in / refreshed / signed-out; returns the unsubscribe function. */
  onChange(listener: AuthListener): () => void
  /** Stops timers and leaves the tab channel. */
  close(): void
}
