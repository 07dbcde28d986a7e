import { duration, integer, parseBoolean, parseList } from '../parsers.js'
import { optional, variable } from '../variable.js'

/** Admin and metrics credentials are guessed online; at this length they cannot be. */
export const MIN_OPERATOR_TOKEN_LENGTH = 32

function operatorTokens(raw: string): string[] {
  const tokens = parseList(raw)
  if (tokens.some((token) => token.length < MIN_OPERATOR_TOKEN_LENGTH) || raw.split(',').some((item) => item.trim() === '')) {
    throw new Error(`must list credentials of at least ${MIN_OPERATOR_TOKEN_LENGTH} characters each, separated by commas`)
  }
  return tokens
}

function operatorToken(raw: string): string {
  const [token, ...rest] = operatorTokens(raw)
  if (rest.length > 0) throw new Error('must be one credential (no commas)')
  return token!
}

export const operateVariables = {
  audit: {
    enabled: variable('AUDIT_LOG', parseBoolean, {
      default: 'true',
      doc: 'record security events (logins, logouts, password changes, admin actions...) in the `audit_events` table; they are logged either way',
    }),
    retentionMs: variable('AUDIT_RETENTION', duration({ min: 60_000 }), {
      default: '90d',
      doc: 'how long audit events are kept; older ones are pruned with the rest (`PRUNE_INTERVAL`, `keyturn prune`)',
    }),
    flushIntervalMs: variable('AUDIT_FLUSH_INTERVAL', duration({ min: 10, max: 60_000 }), {
      default: '1s',
      doc: 'how often buffered audit events are written, in one insert per batch (and at shutdown): requests never wait for them',
    }),
  },
  admin: {
    tokens: variable('ADMIN_TOKENS', operatorTokens, {
      default: { value: [], doc: 'unset: only staff access tokens' },
      doc: `credentials of the admin API (\`/v1/admin/\`) as \`Authorization: Bearer <token>\`, beside access tokens of staff users; comma-separated so they can rotate; each at least ${MIN_OPERATOR_TOKEN_LENGTH} characters`,
    }),
  },
  metrics: {
    token: optional('METRICS_TOKEN', operatorToken, {
      defaultDoc: 'unset',
      doc: '`GET /metrics` on the service\'s port, with `Authorization: Bearer <METRICS_TOKEN>`; also required on `METRICS_PORT` when both are set',
    }),
    port: optional('METRICS_PORT', integer({ min: 1, max: 65_535 }), {
      defaultDoc: 'unset',
      doc: 'serve `GET /metrics` on this port only (a second listener on `HOST`), not on the service\'s; with neither this nor `METRICS_TOKEN`, metrics are off',
      check: (port, env) => (port !== undefined && String(port) === (env.PORT?.trim() || '3000') ? 'must differ from PORT' : undefined),
    }),
  },
}
