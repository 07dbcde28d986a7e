// Every error a client can see, declared once. `code` is the stable string
// clients switch on; the title never changes for a code (RFC 9457 §3.1.3).

export const problemTypes = {
  validation_failed: { status: 400, title: 'The request is not valid.' },
  malformed_request: { status: 400, title: 'The request could not be read.' },
  not_authenticated: { status: 401, title: 'Authentication credentials were not provided.' },
  invalid_credentials: { status: 401, title: 'No active account was found with the given credentials.' },
  token_invalid: { status: 401, title: 'The token is not valid.' },
  token_expired: { status: 401, title: 'The token has expired.' },
  token_revoked: { status: 401, title: 'The token has been revoked.' },
  refresh_token_reused: { status: 401, title: 'The refresh token was already used; the session has been ended.' },
  reset_token_invalid: { status: 400, title: 'The password reset link is unknown, used or expired.' },
  refresh_disabled: { status: 403, title: 'Token refresh is disabled.' },
  email_not_verified: { status: 403, title: 'The email address of this account is not verified.' },
  verification_token_invalid: { status: 400, title: 'The email verification link is unknown, used or expired.' },
  csrf_failed: { status: 403, title: 'The request did not pass the checks against cross-site request forgery.' },
  forbidden: { status: 403, title: 'The credentials do not allow this.' },
  not_found: { status: 404, title: 'Not found.' },
  username_taken: { status: 409, title: 'That username is already taken.' },
  email_taken: { status: 409, title: 'That email address is already in use.' },
  last_staff_user: { status: 409, title: 'The last active staff user cannot be deactivated or deleted.' },
  user_inactive: { status: 409, title: 'The user is deactivated.' },
  user_has_no_email: { status: 409, title: 'The user has no email address.' },
  payload_too_large: { status: 413, title: 'The request body is too large.' },
  unsupported_media_type: { status: 415, title: 'The request body must be application/json.' },
  rate_limited: { status: 429, title: 'Too many requests.' },
  internal_error: { status: 500, title: 'Internal server error.' },
  unavailable: { status: 503, title: 'The service is temporarily unavailable.' },
} as const satisfies Record<string, { status: number; title: string }>

export type ProblemCode = keyof typeof problemTypes

/**
 * What is wrong with one field. openapi.yaml's FieldError.code lists the same
 * values (a test ties them), so generated clients get a union to switch on.
 */
export const fieldCodes = [
  // From the spec's schemas (http/validation.ts maps ajv's keywords onto these).
  'required',
  'unknown_field',
  'invalid_type',
  'too_short',
  'too_long',
  'invalid_format',
  'invalid_choice',
  'out_of_range',
  'invalid',
  // From the password policy, for new passwords.
  'password_too_short',
  'password_too_long',
  'password_too_common',
  'password_too_similar',
  'password_entirely_numeric',
  // A current password that does not match (password change).
  'incorrect_password',
] as const

export type FieldCode = (typeof fieldCodes)[number]

/** One field-level problem of a 400, pointing into the request body (RFC 9457 §3 example). */
export interface FieldError {
  pointer: string
  code: FieldCode
  detail: string
}

export interface ProblemOptions {
  detail?: string
  errors?: FieldError[]
  headers?: Record<string, string>
  cause?: unknown
}

export class ProblemError extends Error {
  readonly status: number
  readonly title: string
  /** What went wrong this time; absent when the title says it all. */
  readonly detail: string | undefined
  readonly errors: FieldError[] | undefined
  readonly headers: Record<string, string>

  constructor(
    readonly code: ProblemCode,
    options: ProblemOptions = {},
  ) {
    const { status, title } = problemTypes[code]
    super(options.detail ?? title, { cause: options.cause })
    this.name = 'ProblemError'
    this.status = status
    this.title = title
    // A detail that only repeats the title says nothing more: it is left out.
    this.detail = options.detail === title ? undefined : options.detail
    this.errors = options.errors
    this.headers = options.headers ?? {}
  }
}

export function problem(code: ProblemCode, options?: ProblemOptions): ProblemError {
  return new ProblemError(code, options)
}

/** A single-field validation problem, as the spec's validator would report it. */
export function fieldProblem(field: string, code: FieldCode, detail: string): ProblemError {
  return new ProblemError('validation_failed', {
    detail: `${field}: ${detail}`,
    errors: [{ pointer: `/${field}`, code, detail }],
  })
}
