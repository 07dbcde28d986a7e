import { isIP } from 'node:net'
import { duration, integer, oneOf, parseList, text, url } from '../parsers.js'
import { optional, variable, type Env } from '../variable.js'

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost'])

/**
 * Fastify's trustProxy: false, a hop count, or the proxies' addresses/CIDRs.
 * `true` believes any client's X-Forwarded-For, so anyone can pick their IP
 * (and dodge every per-IP limit): it is for a loopback-only development setup.
 */
export function parseTrustProxy(raw: string): boolean | number | string[] {
  const value = raw.trim().toLowerCase()
  if (value === 'false') return false
  if (value === 'true') return true
  if (/^\d+$/.test(value)) {
    const hops = Number(value)
    if (hops < 1 || hops > 10) throw new Error(`as a hop count must be between 1 and 10 (got ${value})`)
    return hops
  }
  const entries = parseList(raw)
  for (const entry of entries) {
    const [address = '', prefix, ...rest] = entry.split('/')
    const family = isIP(address)
    const bits = family === 6 ? 128 : 32
    const prefixOk = prefix === undefined || (/^\d+$/.test(prefix) && Number(prefix) <= bits)
    if (family === 0 || !prefixOk || rest.length > 0) {
      throw new Error(`must be false, a hop count such as 1, or proxy addresses such as 10.0.0.0/8 (got "${entry}")`)
    }
  }
  return entries
}

function trustProxyTrueProblem(value: boolean | number | string[], env: Env): string | undefined {
  if (value !== true) return undefined
  const host = env.HOST?.trim() || '127.0.0.1'
  if (env.NODE_ENV === 'production' || !LOOPBACK.has(host)) {
    return (
      'true believes the X-Forwarded-For of any client, who can then choose their IP; ' +
      'set the proxies\' addresses (e.g. TRUST_PROXY=10.0.0.0/8) or the number of proxies in front (e.g. TRUST_PROXY=1)'
    )
  }
  return undefined
}

/** The public origin keyturn is reached at, without a trailing slash. */
function parsePublicUrl(raw: string): string {
  const checked = url(['http:', 'https:'])(raw)
  const parsed = new URL(checked)
  if (parsed.search || parsed.hash) throw new Error('must have no query or fragment')
  return checked.replace(/\/+$/, '')
}

export const serverVariables = {
  production: variable('NODE_ENV', (raw) => raw.trim() === 'production', {
    default: { value: false, doc: '–' },
    doc: '`production` refuses what is only fit for development: no signing key, a log mail transport left by default, an `http:` reset link, `TRUST_PROXY=true`',
  }),
  http: {
    host: variable('HOST', text, { default: '127.0.0.1', doc: 'the address to listen on (the Docker image sets `0.0.0.0`)' }),
    port: variable('PORT', integer({ min: 0, max: 65_535 }), { default: '3000', doc: 'the port to listen on' }),
    publicUrl: optional('PUBLIC_URL', parsePublicUrl, {
      defaultDoc: 'unset: where each request was sent',
      doc: 'the URL clients reach keyturn at, e.g. `https://auth.example.com` (the spec\'s `servers`, the token issuer metadata, links in mails)',
    }),
    trustProxy: variable('TRUST_PROXY', parseTrustProxy, {
      default: 'false',
      doc: 'take the client IP from `X-Forwarded-For`: the proxies\' addresses/CIDRs (`10.0.0.0/8,10.1.2.3`) or the number of proxies in front (`1`); `true` only on loopback in development',
      check: trustProxyTrueProblem,
    }),
    shutdownGraceMs: variable('SHUTDOWN_GRACE', duration({ min: 1, timer: true }), {
      default: '10s',
      doc: 'how long SIGTERM waits for in-flight requests',
    }),
  },
  logLevel: variable('LOG_LEVEL', oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), {
    default: 'info',
    doc: '`fatal` … `trace`, or `silent`',
  }),
}
