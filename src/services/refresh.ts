import { findPresentedRefreshToken, rotateIfCurrent, touchForRace, type PresentedRefreshToken } from '../db/refresh-tokens.js'
import { problem, type ProblemCode } from '../errors.js'
import { generateOpaqueToken, hashOpaqueToken } from '../tokens/opaque-token.js'
import type { ClientInfo, ServiceDeps } from './deps.js'
import { endSessions } from './revoke.js'
import { tokenResponse } from './session-tokens.js'
import type { TokenResponse } from './views.js'

/** How many times a refresh reads again when concurrent requests keep changing its session. */
const RACE_RETRIES = 5

/** What a token that could not be rotated is. */
type Standing = { refuse: ProblemCode } | { reused: true } | { racing: string } | { current: true }

/**
 * Trades a refresh token for a new pair (rotation). The usual case, a current
 * token, is one statement (rotateIfCurrent). Otherwise the token is read and
 * judged: unknown, ended or expired is refused; retired within
 * REFRESH_REUSE_INTERVAL of its rotation is a racing second request (a second
 * tab), answered with the session's current token; retired longer ago is a replay of a
 * copied token, and the whole session ends (RFC 9700 §4.14.2).
 */
export async function refreshTokens(deps: ServiceDeps, presented: string, client?: ClientInfo): Promise<TokenResponse> {
  if (!deps.config.refresh.enabled) throw problem('refresh_disabled')
  const tokenHash = hashOpaqueToken(presented)
  for (let attempt = 0; attempt < RACE_RETRIES; attempt++) {
    const rotated = await rotate(deps, tokenHash)
    if (rotated) {
      deps.emit({ type: 'token_refreshed', outcome: 'rotated' })
      return rotated
    }

    const token = await findPresentedRefreshToken(deps.db, tokenHash)
    const now = deps.clock.now()
    const standing = judge(deps, token, now)
    if ('refuse' in standing) {
      deps.emit({ type: 'token_refreshed', outcome: 'refused' })
      throw problem(standing.refuse, { detail: details[standing.refuse] })
    }
    if ('reused' in standing) {
      await endSessions(deps, { userId: token!.user_id, only: token!.session_id }, 'refresh_token_reused')
      deps.emit({ type: 'refresh_reuse_detected', userId: token!.user_id, sessionId: token!.session_id, ...(client ? { client } : {}) })
      throw problem('refresh_token_reused')
    }
    if ('racing' in standing) {
      const answer = await answerRace(deps, token!, standing.racing, now)
      if (answer) {
        deps.emit({ type: 'token_refreshed', outcome: 'raced' })
        return answer
      }
    }
    // The token or its chain changed between the statements (rotated, or its session ended): judge again.
  }
  // Only a session under a storm of concurrent refreshes gets here.
  throw problem('unavailable', { detail: 'The session is changing too fast; try again.', headers: { 'retry-after': '1' } })
}

async function rotate(deps: ServiceDeps, tokenHash: string): Promise<TokenResponse | undefined> {
  const { accessTokens, config, clock } = deps
  const now = clock.now()
  const successor = generateOpaqueToken()
  const rotated = await rotateIfCurrent(deps.db, {
    tokenHash,
    successorHash: hashOpaqueToken(successor),
    successorSealed: deps.successorSeal.seal(successor),
    now: new Date(now),
    successorExpiresAt: new Date(now + config.refresh.tokenTtlMs),
    accessExpiresAt: new Date(accessTokens.expiresAt(now)),
    verifiedOnly: config.accounts.emailVerification === 'mandatory',
  })
  if (!rotated) return undefined
  const access = accessTokens.issue(ownerOf(rotated), rotated.session_id, now, rotated.session_expires_at.getTime())
  return tokenResponse(now, access, { token: successor, expiresAt: rotated.successor_expires_at.getTime() })
}

function judge(deps: ServiceDeps, token: PresentedRefreshToken | undefined, now: number): Standing {
  if (!token || !token.is_active) return { refuse: 'token_invalid' }
  if (deps.config.accounts.emailVerification === 'mandatory' && !token.email_verified) return { refuse: 'email_not_verified' }
  if (token.session_revoked_at) return { refuse: 'token_revoked' }
  if (token.session_expires_at.getTime() <= now || token.expires_at.getTime() <= now) return { refuse: 'token_expired' }
  if (!token.retired_at) return { current: true }
  // The grace interval is [rotation, rotation + REFRESH_REUSE_INTERVAL): with 0 there is none.
  if (now - token.retired_at.getTime() >= deps.config.refresh.reuseIntervalMs) return { reused: true }
  const successor = token.successor_sealed && deps.successorSeal.open(token.successor_sealed)
  // Sealed with another JWT_SECRET (rotated since): nothing to answer with.
  return successor ? { racing: successor } : { refuse: 'token_invalid' }
}

const details: Partial<Record<ProblemCode, string>> = {
  token_invalid: 'Unknown refresh token, or an inactive account.',
  token_revoked: 'The session has ended.',
  token_expired: 'The refresh token or its session has expired.',
  email_not_verified: 'The account\'s email address is not verified yet: follow the link mailed to it, or ask for a new one.',
}

function ownerOf(row: { user_id: number; username: string | null; is_staff: boolean; email_verified: boolean; profile: Record<string, unknown> }) {
  return { id: row.user_id, username: row.username, is_staff: row.is_staff, email_verified: row.email_verified, profile: row.profile }
}

/** How far a racer follows its session's chain of rotations to the current token. */
const MAX_CHAIN_HOPS = 20

/**
 * A racing request gets the session's current refresh token, and an access
 * token of its own. Its own successor may have been rotated since (A: t0→t1,
 * B: t1→t2, C presents t0): the chain is followed, successor by sealed
 * successor, to the token not yet retired, so no one is ever handed a token
 * whose next use would look like a reuse. Undefined when the chain moved on
 * or the session ended meanwhile: the caller judges again.
 */
async function answerRace(deps: ServiceDeps, token: PresentedRefreshToken, successor: string, now: number) {
  const current = await currentOfChain(deps, successor)
  if (current === undefined) return undefined
  const sessionEnd = token.session_expires_at.getTime()
  const access = deps.accessTokens.issue(ownerOf(token), token.session_id, now, sessionEnd)
  const touched = await touchForRace(deps.db, {
    sessionId: token.session_id,
    currentHash: hashOpaqueToken(current),
    now: new Date(now),
    accessExpiresAt: new Date(access.expiresAt),
  })
  return touched && tokenResponse(now, access, { token: current, expiresAt: touched.current_expires_at.getTime() })
}

/** The token at the end of the chain that starts at `successor`; undefined if the chain breaks (ended, unsealable). */
async function currentOfChain(deps: ServiceDeps, successor: string): Promise<string | undefined> {
  let candidate = successor
  for (let hop = 0; hop < MAX_CHAIN_HOPS; hop++) {
    const row = await findPresentedRefreshToken(deps.db, hashOpaqueToken(candidate))
    if (!row || row.session_revoked_at) return undefined
    if (!row.retired_at) return candidate
    const next = row.successor_sealed && deps.successorSeal.open(row.successor_sealed)
    if (!next) return undefined
    candidate = next
  }
  return undefined
}
