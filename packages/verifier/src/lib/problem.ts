import type { VerifyErrorCode } from './errors.js'

export type ProblemCode = 'not_authenticated' | VerifyErrorCode

/** keyturn's own titles for these codes (src/errors.ts there): a client sees one service, not two. */
const problems: Record<ProblemCode, { status: number; title: string }> = {
  not_authenticated: { status: 401, title: 'Authentication credentials were not provided.' },
  token_invalid: { status: 401, title: 'The token is not valid.' },
  token_expired: { status: 401, title: 'The token has expired.' },
  token_revoked: { status: 401, title: 'The token has been revoked.' },
  unavailable: { status: 503, title: 'The service is temporarily unavailable.' },
}

/** A response, ready for any framework to send. */
export interface ProblemResponse {
  status: number
  headers: Record<string, string>
  body: string
}

export const PROBLEM_JSON = 'application/problem+json'

/**
 * keyturn's answer for a request it will not serve: RFC 9457 problem+json,
 * and for a 401 the RFC 6750 challenge, with an error only when a token was
 * presented and refused.
 */
export function problemResponse(code: ProblemCode, detail?: string): ProblemResponse {
  const { status, title } = problems[code]
  const headers: Record<string, string> = { 'content-type': `${PROBLEM_JSON}; charset=utf-8` }
  if (status === 401) {
    headers['www-authenticate'] =
      code === 'not_authenticated'
        ? 'Bearer realm="keyturn"'
        : `Bearer realm="keyturn", error="invalid_token", error_description="${title.replace(/"/g, "'")}"`
  }
  if (code === 'unavailable') headers['retry-after'] = '1'
  const body = JSON.stringify({ type: `urn:keyturn:problem:${code}`, title, status, detail: detail ?? title, code })
  return { status, headers, body }
}
