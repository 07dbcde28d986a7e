import { ProblemError } from '../errors.js'
import type { AccessClaims } from '../tokens/access-token.js'
import type { ServiceDeps } from './deps.js'

export type Introspection = { active: false } | ({ active: true } & AccessClaims)

/**
 * RFC 7662-style: any token that is not a live access token of ours is simply
 * inactive. Costs no database round trip: the denylist is in memory.
 */
export function introspect(deps: Pick<ServiceDeps, 'accessTokens' | 'denylist'>, token: string): Introspection {
  let claims: AccessClaims
  try {
    claims = deps.accessTokens.verify(token)
  } catch (error) {
    if (error instanceof ProblemError && error.status === 401) return { active: false }
    throw error
  }
  if (deps.denylist.isRevoked(claims.sid)) return { active: false }
  return { active: true, ...claims }
}
