import { VerifyError } from './errors.js'

/**
 * The claims of a keyturn access token. Other claims an application adds
 * come along untyped. The object `verify` returns is frozen: it is shared by
 * every request that presents the same token.
 */
export interface AccessClaims {
  readonly token_type: 'access'
  readonly iss: string
  readonly aud: string
  /** The user's id, as a string. */
  readonly sub: string
  /** The session (one per login) the token belongs to; what logout revokes. */
  readonly sid: string
  readonly jti: string
  readonly iat: number
  readonly exp: number
  readonly nbf?: number
  readonly username: string
  readonly is_staff: boolean
  readonly [claim: string]: unknown
}

/** Claims jose must find before it checks anything else (it checks iss and aud values itself). */
export const requiredClaims = ['token_type', 'iss', 'aud', 'sub', 'sid', 'jti', 'iat', 'exp'] as const

const claimTypes: Record<string, 'string' | 'number' | 'boolean'> = {
  iss: 'string',
  aud: 'string',
  sub: 'string',
  sid: 'string',
  jti: 'string',
  iat: 'number',
  exp: 'number',
  username: 'string',
  is_staff: 'boolean',
}

/**
 * jose has checked the signature, iss, aud and times; what is left is that the
 * token is one of keyturn's access tokens. `token_type` is what keeps any other
 * JWT signed with the same key (or a future token kind) from passing.
 */
export function toAccessClaims(payload: Record<string, unknown>): AccessClaims {
  if (payload.token_type !== 'access') throw new VerifyError('token_invalid', 'The token is not an access token.')
  for (const [claim, type] of Object.entries(claimTypes)) {
    if (typeof payload[claim] !== type || (type === 'string' && payload[claim] === '')) {
      throw new VerifyError('token_invalid', `The token's "${claim}" claim is missing or malformed.`)
    }
  }
  if (payload.nbf !== undefined && typeof payload.nbf !== 'number') {
    throw new VerifyError('token_invalid', 'The token\'s "nbf" claim is malformed.')
  }
  return deepFreeze(payload) as AccessClaims
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const member of Object.values(value)) deepFreeze(member)
  }
  return value
}
