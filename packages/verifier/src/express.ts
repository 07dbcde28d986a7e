// @keyturn/verifier/express: a middleware that sets req.auth or answers
// keyturn's own 401 (503 while revocations cannot be confirmed). It uses only
// node's http API, so it works with Express 4 and 5 (and Connect) and needs no
// runtime dependency on any of them.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { authenticateHeader } from './lib/authenticate.js'
import type { AccessClaims } from './lib/claims.js'
import { headerSchemes } from './lib/header.js'
import type { VerifierOptions } from './lib/options.js'
import { createVerifier, type Verifier } from './lib/verifier.js'

export { VerifyError, type VerifyErrorCode } from './lib/errors.js'
export type { AccessClaims } from './lib/claims.js'

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The caller's verified keyturn claims, set by `authenticate`. */
      auth?: AccessClaims | null
    }
  }
}

export interface AuthenticateOptions {
  /** Accepted Authorization schemes, case-insensitive (keyturn's AUTH_HEADER_TYPES). Default ['Bearer']. */
  headerTypes?: string[]
}

/** A verifier you made (you ready and close it), or the options to make one (then use `middleware.verifier` to ready and close it). */
export type KeyturnAuthOptions = AuthenticateOptions & ({ verifier: Verifier } | VerifierOptions)

export type AuthenticatedRequest = IncomingMessage & { auth?: AccessClaims | null }

export interface AuthMiddleware {
  (req: AuthenticatedRequest, res: ServerResponse, next: (error?: unknown) => void): void
  /** The verifier behind the middleware. */
  readonly verifier: Verifier
}

export function authenticate(options: KeyturnAuthOptions): AuthMiddleware {
  const { headerTypes, ...rest } = options
  const verifier = 'verifier' in rest ? rest.verifier : createVerifier(rest)
  const schemes = headerSchemes(headerTypes)

  const middleware = (req: AuthenticatedRequest, res: ServerResponse, next: (error?: unknown) => void): void => {
    authenticateHeader(verifier, req.headers.authorization, schemes).then((result) => {
      if (result.ok) {
        req.auth = result.claims
        return next()
      }
      req.auth = null
      res.statusCode = result.problem.status
      for (const [name, value] of Object.entries(result.problem.headers)) res.setHeader(name, value)
      res.end(result.problem.body)
    }, next)
  }
  return Object.assign(middleware, { verifier })
}

export default authenticate
