import type { AccessClaims } from './claims.js'
import { VerifyError } from './errors.js'
import { tokenFromHeader } from './header.js'
import { problemResponse, type ProblemResponse } from './problem.js'
import type { Verifier } from './verifier.js'

export type Authentication =
  | { ok: true; claims: AccessClaims }
  /** `error`: why verify refused, for the server's own log (the problem says less for an outage). */
  | { ok: false; problem: ProblemResponse; error?: VerifyError }

/**
 * The whole decision of the framework adapters, without a framework: the
 * Authorization header in, the claims or keyturn's problem response out.
 * Anything but a VerifyError is a bug and propagates.
 */
export async function authenticateHeader(
  verifier: Verifier,
  header: string | string[] | undefined,
  schemes: ReadonlySet<string>,
): Promise<Authentication> {
  const found = tokenFromHeader(header, schemes)
  if (found.kind === 'absent') return { ok: false, problem: problemResponse('not_authenticated') }
  if (found.kind === 'malformed') {
    return { ok: false, problem: problemResponse('token_invalid', 'The Authorization header is malformed.') }
  }
  try {
    return { ok: true, claims: await verifier.verify(found.token) }
  } catch (error) {
    if (!(error instanceof VerifyError)) throw error
    // An outage is keyturn's generic 503; the reason is for the server's log, not the client.
    const detail = error.code === 'unavailable' ? undefined : error.message
    return { ok: false, problem: problemResponse(error.code, detail), error }
  }
}
