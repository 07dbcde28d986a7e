import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { problem } from '../errors.js'

const digest = (text: string) => createHash('sha256').update(text).digest()

/**
 * The check of INTROSPECTION_TOKENS before /verify answers: none configured,
 * no check; otherwise `Authorization: Bearer <one of them>`, or a 401.
 * Compared as SHA-256 digests with timingSafeEqual (equal lengths, whatever
 * was sent), against every configured token without stopping at a match, so
 * the time taken tells neither how much of a token was right nor which one.
 */
export function createIntrospectionGuard(tokens: readonly string[]): (request: FastifyRequest) => void {
  if (tokens.length === 0) return () => {}
  const expected = tokens.map(digest)
  return (request) => {
    const [scheme = '', credential, ...rest] = (request.headers.authorization ?? '').trim().split(/\s+/)
    if (scheme.toLowerCase() !== 'bearer') throw problem('not_authenticated', { detail: 'This endpoint needs an introspection credential.' })
    const presented = digest(credential ?? '')
    let matched = false
    for (const candidate of expected) matched = timingSafeEqual(candidate, presented) || matched
    if (!matched || !credential || rest.length > 0) throw problem('token_invalid', { detail: 'Not an introspection credential.' })
  }
}
