import { randomUUID } from 'node:crypto'
import { insertRefreshToken } from '../db/refresh-tokens.js'
import type { UserRow } from '../db/schema.js'
import { insertSession } from '../db/sessions.js'
import type { Trx } from '../db/transaction.js'
import type { IssuedAccessToken } from '../tokens/access-token.js'
import { generateOpaqueToken, hashOpaqueToken } from '../tokens/opaque-token.js'
import type { ClientInfo, ServiceDeps } from './deps.js'
import type { TokenResponse } from './views.js'

const MAX_USER_AGENT = 512

/** Opens a session for a user who just proved who they are, and issues its first tokens. */
export async function startSession(
  trx: Trx,
  deps: ServiceDeps,
  user: UserRow,
  client: ClientInfo,
): Promise<{ sessionId: string; tokens: TokenResponse }> {
  const { config, clock, accessTokens } = deps
  const now = clock.now()
  const sessionId = randomUUID()
  const maxEnd = now + config.refresh.sessionMaxAgeMs
  const access = accessTokens.issue(user, sessionId, now, maxEnd)
  // Without refresh a session cannot outlive its one access token.
  const expiresAt = config.refresh.enabled ? maxEnd : access.expiresAt
  await insertSession(trx, {
    id: sessionId,
    user_id: user.id,
    created_at: new Date(now),
    last_used_at: new Date(now),
    expires_at: new Date(expiresAt),
    access_expires_at: new Date(access.expiresAt),
    user_agent: client.userAgent?.slice(0, MAX_USER_AGENT) ?? null,
    ip: client.ip,
  })
  if (!config.refresh.enabled) return { sessionId, tokens: tokenResponse(now, access) }
  // A refresh token lives REFRESH_TOKEN_TTL, never past the session's end.
  const refresh = generateOpaqueToken()
  const refreshExpiresAt = Math.min(now + config.refresh.tokenTtlMs, expiresAt)
  await insertRefreshToken(trx, {
    session_id: sessionId,
    token_hash: hashOpaqueToken(refresh),
    created_at: new Date(now),
    expires_at: new Date(refreshExpiresAt),
  })
  return { sessionId, tokens: tokenResponse(now, access, { token: refresh, expiresAt: refreshExpiresAt }) }
}

export function tokenResponse(
  now: number,
  access: IssuedAccessToken,
  refresh?: { token: string; expiresAt: number },
): TokenResponse {
  return {
    access_token: access.token,
    token_type: 'Bearer',
    expires_in: access.expiresIn,
    ...(refresh
      ? { refresh_token: refresh.token, refresh_expires_in: Math.max(0, Math.round((refresh.expiresAt - now) / 1000)) }
      : {}),
  }
}
