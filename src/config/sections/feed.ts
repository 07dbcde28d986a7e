import { parseList } from '../parsers.js'
import { variable } from '../variable.js'

const MIN_FEED_TOKEN_LENGTH = 16
const MIN_PRODUCTION_FEED_TOKEN_LENGTH = 32

function parseFeedTokens(raw: string): string[] {
  const tokens = parseList(raw)
  const short = tokens.find((token) => token.length < MIN_FEED_TOKEN_LENGTH)
  if (short !== undefined) throw new Error(`must list tokens of at least ${MIN_FEED_TOKEN_LENGTH} characters, comma-separated`)
  return tokens
}

export const feedVariables = {
  revocationFeed: {
    tokens: variable('REVOCATION_FEED_TOKENS', parseFeedTokens, {
      default: { value: [], doc: 'unset: the feed is off (404)' },
      doc: 'credentials of `GET /v1/auth/revocations`, the revocation feed local verifiers follow (`Authorization: Bearer <token>`); several, comma-separated, so they can rotate; at least 32 characters each in production',
      production: (tokens) =>
        tokens.some((token) => token.length < MIN_PRODUCTION_FEED_TOKEN_LENGTH)
          ? `must list tokens of at least ${MIN_PRODUCTION_FEED_TOKEN_LENGTH} characters when NODE_ENV=production`
          : undefined,
    }),
  },
}
