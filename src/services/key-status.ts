import type { Config } from '../config.js'
import { configuredKeys } from '../config/sections/keys.js'
import type { SigningKeyRow } from '../db/schema.js'
import { signerAt, signingPeriods, type ScheduledKey } from '../tokens/key-schedule.js'
import { scheduleOf } from './signing-keys.js'

export type KeyState =
  /** No instance has started with it yet: the next start publishes it. */
  | 'unpublished'
  /** Published; it signs from `signingFrom`. */
  | 'waiting'
  | 'signing'
  /** Signing although not published for JWKS_MAX_AGE: no key was eligible (see key-schedule.ts). */
  | 'signing-early'
  /** Stopped signing; its tokens may still be live. */
  | 'verifying'
  | 'removable'
  /** A newer key could sign before it could: it never signs. */
  | 'superseded'

export interface KeyStatus {
  /** Undefined for JWT_SECRET. */
  kid: string | undefined
  alg: string
  state: KeyState
  publishedAt: number | undefined
  signingFrom: number | undefined
  signingUntil: number | undefined
  removableAfter: number | undefined
}

/** Each configured key (and JWT_SECRET beside keys), as the database has recorded it, at `now`. */
export function keyStatus(config: Config, rows: readonly SigningKeyRow[], now: number): KeyStatus[] {
  const keys = configuredKeys(config)
  const hasSecret = config.jwt.secret !== undefined
  const recorded = scheduleOf(keys, rows)
  const scheduled = recorded.filter((key): key is ScheduledKey => key !== undefined)
  const retireAfterMs = config.jwt.accessTokenTtlMs + config.jwt.leewayMs + config.keys.jwksMaxAgeMs
  const periods = signingPeriods(scheduled, hasSecret, retireAfterMs)
  const signer = signerAt(scheduled, hasSecret, now)

  const statuses = keys.map((key, index): KeyStatus => {
    const times = recorded[index]
    if (!times) {
      return { kid: key.kid, alg: key.alg, state: 'unpublished', publishedAt: undefined, signingFrom: undefined, signingUntil: undefined, removableAfter: undefined }
    }
    const at = scheduled.indexOf(times)
    const period = periods.keys[at]!
    const early = !signer.eligible && signer.index === at
    return {
      kid: key.kid,
      alg: key.alg,
      state: early ? 'signing-early' : stateOf(period, now),
      publishedAt: times.publishedAt,
      signingFrom: period.from,
      signingUntil: period.until,
      removableAfter: period.removableAfter,
    }
  })
  if (periods.secret && keys.length > 0) {
    const period = periods.secret
    statuses.push({
      kid: undefined,
      alg: 'HS256',
      state: stateOf(period, now),
      publishedAt: undefined,
      signingFrom: undefined,
      signingUntil: period.until,
      removableAfter: period.removableAfter,
    })
  }
  return statuses
}

function stateOf(period: ReturnType<typeof signingPeriods>['keys'][number], now: number): KeyState {
  if (period.never) return 'superseded'
  if (period.from !== undefined && period.from > now) return 'waiting'
  if (period.until === undefined || period.until > now) return 'signing'
  return period.removableAfter !== undefined && period.removableAfter <= now ? 'removable' : 'verifying'
}
