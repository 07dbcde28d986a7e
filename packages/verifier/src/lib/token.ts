import { errors, jwtVerify } from 'jose'
import { requiredClaims, toAccessClaims, type AccessClaims } from './claims.js'
import { VerifyError } from './errors.js'
import type { KeyLookup } from './keys.js'
import type { ResolvedOptions } from './options.js'

/**
 * The full check of a token nobody has presented yet: signature with the key
 * its header may use, iss, aud, exp, nbf and the claims of an access token.
 * Every failure becomes a VerifyError whose message names the check that
 * failed and nothing of the token.
 */
export function createTokenCheck(options: ResolvedOptions, lookup: KeyLookup) {
  const verifyOptions = {
    issuer: options.issuer,
    audience: options.audience,
    algorithms: options.algorithms,
    requiredClaims: [...requiredClaims],
    clockTolerance: options.leewayMs / 1000,
  }

  return async function checkToken(token: string): Promise<AccessClaims> {
    try {
      const { payload } = await jwtVerify(token, lookup, { ...verifyOptions, currentDate: new Date(options.now()) })
      return toAccessClaims(payload)
    } catch (error) {
      throw toVerifyError(error)
    }
  }
}

function toVerifyError(error: unknown): VerifyError {
  if (error instanceof VerifyError) return error
  if (error instanceof errors.JWTExpired) return new VerifyError('token_expired')
  if (error instanceof errors.JWTClaimValidationFailed) {
    const message =
      error.claim === 'nbf' ? 'The token is not valid yet.'
      : error.reason === 'missing' ? `The token has no "${error.claim}" claim.`
      : `The token's "${error.claim}" claim is not accepted.`
    return new VerifyError('token_invalid', message)
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return new VerifyError('token_invalid', "The token's algorithm is not accepted.")
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new VerifyError('token_invalid', "The token's signature is not valid.")
  }
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return new VerifyError('token_invalid', "The token's key is not among keyturn's keys.")
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    return new VerifyError('token_invalid', 'The token is malformed.')
  }
  // Left: the JWKS could not be fetched or read (network, timeout, a non-200,
  // bad JSON, a key jose cannot import). Not the token's fault.
  return new VerifyError('unavailable', "keyturn's signing keys could not be fetched.", { cause: error })
}
