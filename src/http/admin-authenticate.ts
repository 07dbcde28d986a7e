import type { FastifyRequest } from 'fastify'
import { problem } from '../errors.js'
import type { ServiceDeps } from '../services/deps.js'
import { authorizeStaff } from '../services/admin-access.js'
import type { Actor } from '../services/security-events.js'
import { authOf } from './authenticate.js'
import type { SecurityCheck } from './security.js'
import { createStaticTokenMatcher } from './static-tokens.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the adminToken scheme: the request carries one of ADMIN_TOKENS. */
    adminToken: boolean
  }
}

/**
 * The adminToken scheme. Its credential is the same header as an access
 * token's, so it counts as presented only when the header holds one of
 * ADMIN_TOKENS (compared in constant time); anything else falls to the
 * operation's next scheme, bearerAuth, whose refusal (401) is the answer to
 * a wrong credential.
 */
export function adminTokenCredential(tokens: readonly string[]): SecurityCheck {
  const matches = createStaticTokenMatcher(tokens)
  return {
    presented: (request) => tokens.length > 0 && request.headers.authorization !== undefined && matches(request),
    // Reached also when no scheme's credential was presented (the first scheme refuses): never take that for a match.
    check: async (request) => {
      if (!matches(request)) throw problem('not_authenticated', { detail: 'The admin API needs an ADMIN_TOKENS credential or a staff access token.' })
      request.adminToken = true
    },
  }
}

/** Who calls the admin API: an ADMIN_TOKENS credential, or a staff user (403 `forbidden` for anyone else). */
export async function adminActorOf(deps: Pick<ServiceDeps, 'db' | 'clock'>, request: FastifyRequest): Promise<Actor> {
  if (request.adminToken) return 'admin_token'
  return authorizeStaff(deps, authOf(request))
}
