import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify'
import { isUnavailableError, isUnstorableText } from '../db/errors.js'
import { problem, ProblemError, type ProblemCode } from '../errors.js'
import { toFieldErrors } from './validation.js'

const PROBLEM_JSON = 'application/problem+json'
const INVALID_TOKEN_CODES = new Set<ProblemCode>(['token_invalid', 'token_expired', 'token_revoked', 'refresh_token_reused'])

/** Every error leaves as problem+json; a 5xx says nothing of its cause, which goes to the log. */
export function registerProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const result = toProblem(error)
    if (result.code === 'internal_error') {
      request.log.error({ reqId: request.id, err: describeError(result.cause ?? error) }, 'request failed')
    } else if (result.code === 'unavailable') {
      // What made it unavailable: the database, a denylist that cannot sync, a refresh storm.
      const cause = result.cause === undefined ? undefined : describeError(result.cause)
      request.log.warn({ reqId: request.id, ...(cause ? { err: cause } : {}) }, `unavailable: ${result.detail ?? 'the database cannot be reached'}`)
    }
    return sendProblem(reply, result)
  })
  app.setNotFoundHandler((request, reply) => sendProblem(reply, problem('not_found')))
}

export function toProblem(error: FastifyError): ProblemError {
  if (error instanceof ProblemError) return error
  if (error.validation) {
    const errors = toFieldErrors(error.validation as Parameters<typeof toFieldErrors>[0])
    const detail = errors.map((e) => `${e.pointer || '(body)'}: ${e.detail}`).join('; ')
    return problem('validation_failed', { errors, detail: detail || undefined })
  }
  if (isUnavailableError(error)) {
    return problem('unavailable', { headers: { 'retry-after': '1' }, cause: error, detail: 'The database cannot be reached.' })
  }
  // The spec refuses control characters where it can; this catches what it cannot name.
  if (isUnstorableText(error)) return problem('malformed_request', { detail: 'The request contains text that cannot be stored.' })
  switch (error.statusCode) {
    case 404:
      return problem('not_found')
    case 413:
      return problem('payload_too_large')
    case 415:
      return problem('unsupported_media_type')
    case 429:
      return problem('rate_limited')
  }
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    // Fastify's own 4xx (broken JSON, empty body...) explain the client's mistake.
    return problem('malformed_request', { detail: error.message })
  }
  return problem('internal_error', { cause: error })
}

export function sendProblem(reply: FastifyReply, result: ProblemError): FastifyReply {
  const headers = { ...result.headers }
  if (result.status === 401) headers['www-authenticate'] ??= wwwAuthenticate(result)
  return reply
    .code(result.status)
    .headers(headers)
    .type(PROBLEM_JSON)
    .send({
      type: `urn:keyturn:problem:${result.code}`,
      title: result.title,
      status: result.status,
      ...(result.detail !== undefined ? { detail: result.detail } : {}),
      code: result.code,
      ...(result.errors ? { errors: result.errors } : {}),
    })
}

/** RFC 6750 §3: an error code only when a token was presented and refused. */
function wwwAuthenticate(result: ProblemError): string {
  if (!INVALID_TOKEN_CODES.has(result.code)) return 'Bearer realm="keyturn"'
  return `Bearer realm="keyturn", error="invalid_token", error_description="${result.title.replace(/"/g, "'")}"`
}

/** What a log may hold of an error: never the query parameters some drivers attach (they can hold hashes). */
function describeError(error: unknown): Record<string, unknown> {
  const { name, message, stack, code } = error as Error & { code?: unknown }
  return { type: name, message, code, stack }
}
