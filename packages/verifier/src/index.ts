export { createVerifier, type Verifier } from './lib/verifier.js'
export { VerifyError, type VerifyErrorCode } from './lib/errors.js'
export type { AccessClaims } from './lib/claims.js'
export type { Algorithm, RevocationFeedOptions, VerifierOptions } from './lib/options.js'
