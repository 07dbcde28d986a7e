// @keyturn/verifier/fastify: request.auth and an `authenticate` onRequest
// hook for Fastify 5, answering exactly as keyturn itself does. Fastify is
// only a type here: the plugin needs no runtime dependency on it, nor on
// fastify-plugin (the symbols below are what fastify-plugin sets).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { authenticateHeader } from './lib/authenticate.js'
import type { AccessClaims } from './lib/claims.js'
import { headerSchemes } from './lib/header.js'
import type { VerifierOptions } from './lib/options.js'
import { createVerifier, type Verifier } from './lib/verifier.js'

export { VerifyError, type VerifyErrorCode } from './lib/errors.js'
export type { AccessClaims } from './lib/claims.js'

export interface AuthenticateOptions {
  /** Accepted Authorization schemes, case-insensitive (keyturn's AUTH_HEADER_TYPES). Default ['Bearer']. */
  headerTypes?: string[]
}

/**
 * Either a verifier you made (you call its ready() and close()), or the
 * options to make one: then the plugin waits for ready() while Fastify
 * starts, and closes it when Fastify closes.
 */
export type KeyturnAuthOptions = AuthenticateOptions & ({ verifier: Verifier } | VerifierOptions)

export type AuthenticateHook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>

declare module 'fastify' {
  interface FastifyInstance {
    /** onRequest hook: a valid keyturn access token or keyturn's own 401 (503 while revocations cannot be confirmed). */
    authenticate: AuthenticateHook
    /** The verifier behind `authenticate`. */
    verifier: Verifier
  }
  interface FastifyRequest {
    /** The caller's verified claims after `authenticate`; null on routes without it. */
    auth: AccessClaims | null
  }
}

/** The hook by itself, for an app that wants it under another name or without the plugin's decorators. */
export function createAuthenticateHook(verifier: Verifier, options: AuthenticateOptions = {}): AuthenticateHook {
  const schemes = headerSchemes(options.headerTypes)
  return async function authenticate(request, reply) {
    const result = await authenticateHeader(verifier, request.headers.authorization, schemes)
    if (result.ok) {
      request.auth = result.claims
      return
    }
    if (result.error?.code === 'unavailable') request.log.warn({ reason: result.error.message }, 'keyturn verifier unavailable')
    await reply.code(result.problem.status).headers(result.problem.headers).send(result.problem.body)
  }
}

async function keyturnAuth(fastify: FastifyInstance, options: KeyturnAuthOptions): Promise<void> {
  const { headerTypes, ...rest } = options
  let verifier: Verifier
  if ('verifier' in rest) {
    verifier = rest.verifier
  } else {
    verifier = createVerifier(rest)
    try {
      await verifier.ready()
    } catch (error) {
      await verifier.close()
      throw error
    }
    fastify.addHook('onClose', () => verifier.close())
  }
  fastify.decorate('verifier', verifier)
  fastify.decorate('authenticate', createAuthenticateHook(verifier, { headerTypes }))
  fastify.decorateRequest('auth', null)
}

// What fastify-plugin would set: the decorators escape the plugin's
// encapsulation context, so every route of the app sees them.
Object.assign(keyturnAuth, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: '@keyturn/verifier',
  [Symbol.for('plugin-meta')]: { name: '@keyturn/verifier', fastify: '5.x' },
})

export { keyturnAuth }
export default keyturnAuth
