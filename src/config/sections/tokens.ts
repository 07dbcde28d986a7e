import { duration, parseBoolean, parseList, text } from '../parsers.js'
import { optional, variable } from '../variable.js'

/** What production asks of an HS256 secret: 256 bits, as RFC 7518 §3.2 requires of HS256 keys. */
export const MIN_SECRET_BYTES = 32

function parseHeaderTypes(raw: string): string[] {
  const types = parseList(raw)
  if (types.length === 0 || types.some((type) => !/^[A-Za-z][A-Za-z0-9._~+/-]*$/.test(type))) {
    throw new Error('must list header prefixes such as "Bearer" or "Bearer,JWT"')
  }
  return types
}

export const tokenVariables = {
  jwt: {
    secret: optional('JWT_SECRET', (raw) => raw, {
      defaultDoc: 'random, per process (refused in production)',
      replaces: 'JWT_SECRET_KEY',
      doc: `HS256 signing key, at least ${MIN_SECRET_BYTES} bytes when \`NODE_ENV=production\``,
      productionScope: 'signing',
      production: (secret) =>
        secret !== undefined && Buffer.byteLength(secret) < MIN_SECRET_BYTES
          ? `must be at least ${MIN_SECRET_BYTES} bytes when NODE_ENV=production`
          : undefined,
    }),
    issuer: variable('JWT_ISSUER', text, { default: 'keyturn', replaces: 'JWT_ISSUER', doc: '`iss` of issued tokens; verification requires it' }),
    audience: variable('JWT_AUDIENCE', text, { default: 'keyturn', replaces: 'JWT_AUDIENCE', doc: '`aud` of issued tokens; verification requires it' }),
    leewayMs: variable('JWT_LEEWAY', duration({ max: 300_000 }), {
      default: '0',
      replaces: 'JWT_LEEWAY',
      doc: 'clock skew tolerated on `exp`, `nbf` and `iat`, at most `5m`',
    }),
    accessTokenTtlMs: variable('ACCESS_TOKEN_TTL', duration({ min: 1000 }), {
      default: '15m',
      replaces: 'JWT_EXPIRATION_DELTA',
      doc: 'lifetime of an access token',
    }),
    authHeaderTypes: variable('AUTH_HEADER_TYPES', parseHeaderTypes, {
      default: 'Bearer',
      replaces: 'JWT_AUTH_HEADER_PREFIX',
      doc: 'accepted `Authorization` prefixes, e.g. `Bearer,JWT`',
    }),
  },
  refresh: {
    enabled: variable('REFRESH_ENABLED', parseBoolean, {
      default: 'true',
      replaces: 'JWT_ALLOW_REFRESH',
      doc: '`false`: no refresh tokens are issued and `/refresh` answers 403',
    }),
    tokenTtlMs: variable('REFRESH_TOKEN_TTL', duration({ min: 1000 }), {
      default: '7d',
      doc: 'a refresh token unused this long is dead (idle lifetime)',
    }),
    sessionMaxAgeMs: variable('SESSION_MAX_AGE', duration({ min: 1000 }), {
      default: '30d',
      replaces: 'JWT_REFRESH_EXPIRATION_DELTA',
      doc: 'no session outlives this, however often it refreshes',
    }),
    reuseIntervalMs: variable('REFRESH_REUSE_INTERVAL', duration({ max: 60_000 }), {
      default: '10s',
      doc: 'grace after a rotation in which the retired token still gets an answer (a racing second tab), at most `60s`',
    }),
  },
  denylistSyncIntervalMs: variable('DENYLIST_SYNC_INTERVAL', duration({ min: 10, timer: true }), {
    default: '500ms',
    doc: 'how often each instance reads new revocations',
  }),
  userCacheTtlMs: variable('USER_CACHE_TTL', duration({ timer: true }), {
    default: '1s',
    doc: 'how long `GET /me` may answer from this instance\'s memory (`0`: always ask the database)',
  }),
}
