import { parseList } from '../parsers.js'
import { variable } from '../variable.js'

/** A shared credential is guessed online; at this length, with rate limits in front, it cannot be. */
export const MIN_INTROSPECTION_TOKEN_LENGTH = 32

function parseIntrospectionTokens(raw: string): string[] {
  const tokens = parseList(raw)
  const short = tokens.filter((token) => token.length < MIN_INTROSPECTION_TOKEN_LENGTH).length
  if (short > 0 || raw.split(',').some((item) => item.trim() === '')) {
    throw new Error(`must list credentials of at least ${MIN_INTROSPECTION_TOKEN_LENGTH} characters each, separated by commas`)
  }
  return tokens
}

export const introspectionVariables = {
  introspection: {
    tokens: variable('INTROSPECTION_TOKENS', parseIntrospectionTokens, {
      default: { value: [], doc: 'unset: `/verify` needs no credential' },
      doc: `credentials \`POST /v1/auth/verify\` then requires as \`Authorization: Bearer <token>\`: comma-separated, so one can be added before the old one goes; each at least ${MIN_INTROSPECTION_TOKEN_LENGTH} characters`,
    }),
  },
}
