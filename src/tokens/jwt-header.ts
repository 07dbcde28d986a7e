import { problem } from '../errors.js'

/**
 * The header members keyturn writes, and so the only ones it accepts. Anything
 * else is refused before a key is chosen: `jku`, `x5u`, `jwk` and `x5c` would
 * let a token bring its own key, `crit` would demand extensions nobody here
 * implements, `b64: false` would change what the signature covers.
 */
const ACCEPTED_MEMBERS = new Set(['alg', 'typ', 'kid'])

export interface TokenHeader {
  alg: string
  /** Undefined: an HS256 token as keyturn has always issued them, checked with JWT_SECRET only. */
  kid: string | undefined
}

const invalid = (detail: string) => problem('token_invalid', { detail })

/** The protected header of a compact JWS, checked for what may choose a key; the signature is not looked at yet. */
export function readHeader(token: string): TokenHeader {
  const end = token.indexOf('.')
  if (end <= 0) throw invalid('The token is malformed.')
  let header: unknown
  try {
    header = JSON.parse(Buffer.from(token.slice(0, end), 'base64url').toString('utf8'))
  } catch {
    throw invalid('The token header is not JSON.')
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw invalid('The token header is not a JSON object.')
  for (const member of Object.keys(header)) {
    if (!ACCEPTED_MEMBERS.has(member)) {
      throw invalid('The token header carries members keyturn never writes (such as jku, x5u, jwk or crit).')
    }
  }
  const { alg, kid } = header as { alg?: unknown; kid?: unknown }
  if (typeof alg !== 'string') throw invalid('The token header names no algorithm.')
  if (kid !== undefined && typeof kid !== 'string') throw invalid('The token header kid is not a string.')
  return { alg, kid }
}
