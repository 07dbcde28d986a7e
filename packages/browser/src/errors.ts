/**
 * keyturn's problem codes a page meets, plus this package's own:
 * `network_error` (no response), `unexpected_response` (not keyturn's JSON),
 * `not_signed_in`, `origin_not_allowed`.
 */
export type AuthErrorCode =
  | 'validation_failed'
  | 'invalid_credentials'
  | 'username_taken'
  | 'token_invalid'
  | 'token_expired'
  | 'token_revoked'
  | 'not_authenticated'
  | 'refresh_token_reused'
  | 'refresh_disabled'
  | 'csrf_failed'
  | 'rate_limited'
  | 'network_error'
  | 'unexpected_response'
  | 'not_signed_in'
  | 'origin_not_allowed'
  | (string & {})

export interface FieldProblem {
  pointer: string
  code: string
  detail: string
}

/** A refusal from keyturn (its problem+json) or a failure to reach it; switch on `code`. */
export class AuthError extends Error {
  override readonly name = 'AuthError'
  /** The HTTP status; 0 when there was no response. */
  readonly status: number
  readonly code: AuthErrorCode
  readonly errors: FieldProblem[] | undefined

  constructor(status: number, code: AuthErrorCode, message: string, errors?: FieldProblem[], options?: { cause?: unknown }) {
    super(message, options)
    this.status = status
    this.code = code
    this.errors = errors
  }
}

interface Problem {
  title?: unknown
  detail?: unknown
  code?: unknown
  errors?: unknown
}

/** The AuthError a non-2xx response stands for (reads a clone: the body stays readable). */
export async function errorFrom(response: Response): Promise<AuthError> {
  const problem = await readProblem(response)
  const code = typeof problem?.code === 'string' ? problem.code : 'unexpected_response'
  const message =
    (typeof problem?.detail === 'string' && problem.detail) ||
    (typeof problem?.title === 'string' && problem.title) ||
    `keyturn answered ${response.status}`
  const errors = Array.isArray(problem?.errors) ? (problem.errors as FieldProblem[]) : undefined
  return new AuthError(response.status, code, message, errors)
}

/** The problem code of a response, if it is problem+json with one. */
export async function problemCode(response: Response): Promise<string | undefined> {
  const problem = await readProblem(response)
  return typeof problem?.code === 'string' ? problem.code : undefined
}

async function readProblem(response: Response): Promise<Problem | undefined> {
  if (!/json/i.test(response.headers.get('content-type') ?? '')) return undefined
  try {
    const body: unknown = await response.clone().json()
    return body !== null && typeof body === 'object' ? (body as Problem) : undefined
  } catch {
    return undefined
  }
}

export function networkError(cause: unknown): AuthError {
  return new AuthError(0, 'network_error', 'keyturn could not be reached', undefined, { cause })
}
