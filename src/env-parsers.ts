// Parsers for environment values. Each returns the parsed value or throws an
// Error whose message completes "VARIABLE ..." (config.ts adds the name).

const durationUnits: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
}

/** `15m`, `7d`, `500ms`, or a bare number of seconds (as JWT_EXPIRATION_DELTA was). Returns milliseconds. */
export function parseDuration(raw: string): number {
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(raw.trim())
  if (!match) throw new Error(`must be a duration such as 900, 15m, 7d or 500ms (got "${raw}")`)
  const [, amount, unit = 's'] = match
  return Number(amount) * durationUnits[unit]!
}

/** Node timers hold at most 2^31 - 1 ms (about 24.8 days); anything longer would fire at once. */
export const MAX_TIMER_MS = 2_147_483_647

/** A duration that drives a timer: within [minMs, 24 days]. */
export function parseTimerDuration(raw: string, minMs = 0): number {
  const ms = parseDuration(raw)
  if (ms < minMs) throw new Error(`must be at least ${minMs} ms (got "${raw}")`)
  if (ms > MAX_TIMER_MS) throw new Error(`must be at most 24d (got "${raw}")`)
  return ms
}

export function parseBoolean(raw: string): boolean {
  const value = raw.trim().toLowerCase()
  if (['true', '1', 'yes', 'on'].includes(value)) return true
  if (['false', '0', 'no', 'off'].includes(value)) return false
  throw new Error(`must be true or false (got "${raw}")`)
}

export function parseInteger(raw: string, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): number {
  if (!/^\d+$/.test(raw.trim())) throw new Error(`must be a whole number (got "${raw}")`)
  const value = Number(raw)
  if (value < min || value > max) throw new Error(`must be between ${min} and ${max} (got ${value})`)
  return value
}

export function parseList(raw: string): string[] {
  return raw
    .split(/[\s,]+/)
    .map((item) => item.trim())
    .filter(Boolean)
}

/**
 * Fastify's trustProxy: false, true, or the addresses/CIDRs of the proxies.
 * Hop counts are refused: Fastify cannot check the peer with them and trusts nothing.
 */
export function parseTrustProxy(raw: string): boolean | string[] {
  const value = raw.trim().toLowerCase()
  if (value === 'false') return false
  if (value === 'true') return true
  if (/^\d+$/.test(value)) throw new Error('must be true, false, or proxy addresses such as 10.0.0.0/8 (not a hop count)')
  return parseList(raw)
}

export interface RateLimitValue {
  max: number
  windowMs: number
}

/** `10/1m`: at most 10 requests per minute. */
export function parseRateLimit(raw: string): RateLimitValue {
  const [max, window, ...rest] = raw.split('/')
  if (max === undefined || window === undefined || rest.length > 0) {
    throw new Error(`must look like 10/1m: requests per window (got "${raw}")`)
  }
  return { max: parseInteger(max, { min: 1 }), windowMs: parseTimerDuration(window, 1000) }
}

export function parseUrl(raw: string, protocols: string[]): string {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new Error('must be a URL')
  }
  if (!protocols.includes(url.protocol)) {
    throw new Error(`must be a ${protocols.map((p) => p.replace(':', '://')).join(' or ')} URL`)
  }
  return raw
}
