import type { FastifyRequest } from 'fastify'
import type { Operation } from './spec.js'

/** How one security scheme of openapi.yaml (components.securitySchemes) is checked. */
export interface SecurityCheck {
  /** Whether the request carries this scheme's credential at all. */
  presented(request: FastifyRequest): boolean
  /** Accepts the credential (setting what the handler needs on the request) or throws a 401. */
  check(request: FastifyRequest): Promise<void>
}

/**
 * The preHandler an operation's `security` asks for. Of alternatives
 * (logout: an access token, or the refresh cookie), the first whose
 * credential the request carries is checked; with none, an operation that
 * also allows anonymous calls runs as such, and any other gets the first
 * scheme's refusal (401 not_authenticated).
 */
export function securityHook(
  operation: Operation,
  checks: Record<string, SecurityCheck>,
): ((request: FastifyRequest) => Promise<void>) | undefined {
  if (operation.securitySchemes.length === 0) return undefined
  const alternatives = operation.securitySchemes.map((scheme) => {
    const check = checks[scheme]
    if (!check) throw new Error(`openapi.yaml: ${operation.operationId} names the security scheme ${scheme}, which has no check`)
    return check
  })
  return async function authenticateOperation(request) {
    const chosen = alternatives.find((alternative) => alternative.presented(request))
    if (chosen) return chosen.check(request)
    if (!operation.anonymousAllowed) return alternatives[0]!.check(request)
  }
}

/** A scheme whose credential is the Authorization header. */
export function headerCredential(check: (request: FastifyRequest) => Promise<void>): SecurityCheck {
  return { presented: (request) => request.headers.authorization !== undefined, check }
}
