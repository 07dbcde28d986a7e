// Parsers for environment values. Each returns the parsed value or throws an
// Error whose message completes "VARIABLE ..." (the loader adds the name).

import { readFileSync } from 'node:fs'
import path from 'node:path'

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

const describeMs = (ms: number) =>
  ms % 86_400_000 === 0
    ? `${ms / 86_400_000}d`
    : ms % 3_600_000 === 0
      ? `${ms / 3_600_000}h`
      : ms % 60_000 === 0
        ? `${ms / 60_000}m`
        : ms % 1000 === 0
          ? `${ms / 1000}s`
          : `${ms}ms`

/** A duration within bounds; `timer` caps it at what a Node timer can hold. */
export function duration({ min = 0, max = Infinity, timer = false } = {}) {
  const upper = timer ? Math.min(max, MAX_TIMER_MS) : max
  return (raw: string): number => {
    const ms = parseDuration(raw)
    if (ms < min) throw new Error(`must be at least ${describeMs(min)} (got "${raw}")`)
    if (ms > upper) throw new Error(`must be at most ${upper === MAX_TIMER_MS ? '24d' : describeMs(upper)} (got "${raw}")`)
    return ms
  }
}

export function parseBoolean(raw: string): boolean {
  const value = raw.trim().toLowerCase()
  if (['true', '1', 'yes', 'on'].includes(value)) return true
  if (['false', '0', 'no', 'off'].includes(value)) return false
  throw new Error(`must be true or false (got "${raw}")`)
}

export function integer({ min = 0, max = Number.MAX_SAFE_INTEGER } = {}) {
  return (raw: string): number => {
    if (!/^\d+$/.test(raw.trim())) throw new Error(`must be a whole number (got "${raw}")`)
    const value = Number(raw)
    if (value < min || value > max) throw new Error(`must be between ${min} and ${max} (got ${value})`)
    return value
  }
}

/** A file a variable names (a mounted secret, a schema): its absolute path and its text. */
export function readNamedFile(raw: string): { file: string; text: string } {
  const file = path.resolve(raw.trim())
  try {
    return { file, text: readFileSync(file, 'utf8') }
  } catch (error) {
    throw new Error(`names no readable file (${file}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`)
  }
}

export function parseList(raw: string): string[] {
  return raw
    .split(/[\s,]+/)
    .map((item) => item.trim())
    .filter(Boolean)
}

export function text(raw: string): string {
  return raw.trim()
}

export function oneOf<const T extends string>(allowed: readonly T[]) {
  return (raw: string): T => {
    const value = raw.trim()
    if (!(allowed as readonly string[]).includes(value)) throw new Error(`must be one of ${allowed.join(', ')} (got "${raw}")`)
    return value as T
  }
}

export function url(protocols: string[]) {
  return (raw: string): string => {
    let parsed: URL
    try {
      parsed = new URL(raw.trim())
    } catch {
      throw new Error('must be a URL')
    }
    if (!protocols.includes(parsed.protocol)) {
      throw new Error(`must be a ${protocols.map((p) => p.replace(':', '://')).join(' or ')} URL`)
    }
    return raw.trim()
  }
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
  return { max: integer({ min: 1 })(max), windowMs: duration({ min: 1000, timer: true })(window) }
}
