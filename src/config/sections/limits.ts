import { duration, parseBoolean, parseRateLimit, url } from '../parsers.js'
import { family, optional, variable } from '../variable.js'

export const limitVariables = {
  rateLimit: {
    enabled: variable('RATE_LIMIT_ENABLED', parseBoolean, { default: 'true', doc: '`false` turns every rate limit off' }),
    overrides: family(
      'RATE_LIMIT_<BUCKET>_<KEY>',
      (name) => /^RATE_LIMIT_[A-Z0-9_]+$/.test(name) && name !== 'RATE_LIMIT_ENABLED',
      parseRateLimit,
      { defaultDoc: 'from `openapi.yaml`', doc: 'e.g. `RATE_LIMIT_LOGIN_USERNAME=5/1m`; see below' },
    ),
    redisUrl: optional('REDIS_URL', url(['redis:', 'rediss:']), {
      defaultDoc: 'unset: in memory',
      doc: 'share rate-limit counts between instances',
    }),
  },
  pruneIntervalMs: variable('PRUNE_INTERVAL', duration({ timer: true }), {
    default: '1h',
    doc: 'how often expired rows are deleted (`0`: never; use `keyturn prune`)',
  }),
}
