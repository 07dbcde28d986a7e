// Asserting keyturn's answers over real HTTP, for the framework adapters.
import type { Test } from 'tap'

export interface Answer {
  status: number
  headers: Headers
  body: unknown
}

export async function get(url: string, authorization?: string): Promise<Answer> {
  const response = await fetch(url, { headers: authorization === undefined ? {} : { authorization } })
  const text = await response.text()
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined }
}

const titles: Record<string, string> = {
  not_authenticated: 'Authentication credentials were not provided.',
  token_invalid: 'The token is not valid.',
  token_expired: 'The token has expired.',
  token_revoked: 'The token has been revoked.',
  unavailable: 'The service is temporarily unavailable.',
}

/** keyturn's own refusal: problem+json, and the challenge RFC 6750 asks for. */
export function assertProblem(t: Test, answer: Answer, code: string, what: string): void {
  const status = code === 'unavailable' ? 503 : 401
  t.equal(answer.status, status, `${what}: status`)
  t.equal(answer.headers.get('content-type'), 'application/problem+json; charset=utf-8', `${what}: content-type`)
  t.match(answer.body, { type: `urn:keyturn:problem:${code}`, title: titles[code], status, code, detail: String }, `${what}: body`)
  const challenge = answer.headers.get('www-authenticate')
  if (code === 'unavailable') {
    t.equal(challenge, null, `${what}: no challenge`)
    t.equal(answer.headers.get('retry-after'), '1', `${what}: Retry-After`)
  } else if (code === 'not_authenticated') {
    t.equal(challenge, 'Bearer realm="keyturn"', `${what}: challenge without an error`)
  } else {
    t.equal(challenge, `Bearer realm="keyturn", error="invalid_token", error_description="${titles[code]}"`, `${what}: challenge`)
  }
}
