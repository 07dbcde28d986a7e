/**
 * What `verify` can say about a token, as keyturn's own problem codes: a
 * caller can switch on `code` and answer exactly as keyturn would.
 */
export type VerifyErrorCode = 'token_invalid' | 'token_expired' | 'token_revoked' | 'unavailable'

/**
 * The one error `verify` throws. `message` is safe to show a client or write
 * to a log: it never contains the token, a key or the feed token.
 */
export class VerifyError extends Error {
  override readonly name = 'VerifyError'

  constructor(
    readonly code: VerifyErrorCode,
    message: string = defaultMessages[code],
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

const defaultMessages: Record<VerifyErrorCode, string> = {
  token_invalid: 'The token is not valid.',
  token_expired: 'The token has expired.',
  token_revoked: 'The token has been revoked.',
  unavailable: 'The service is temporarily unavailable.',
}
