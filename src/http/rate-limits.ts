import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import type { Config } from '../config.js'
import { parseDuration } from '../config/parsers.js'
import { problem } from '../errors.js'
import { foldLoginName } from '../db/login-names.js'
import { loginNameIn } from '../services/account-rules.js'
import type { Operation, RateLimitRule } from './spec.js'

export function overrideName(rule: RateLimitRule): string {
  return `RATE_LIMIT_${rule.bucket}_${rule.key}`.toUpperCase()
}

/** A RATE_LIMIT_* variable that matches no limit in openapi.yaml is a typo: refuse to start. */
export function assertKnownOverrides(operations: Operation[], config: Config): void {
  const known = new Set(operations.flatMap((operation) => operation.rateLimits.map(overrideName)))
  const unknown = Object.keys(config.rateLimit.overrides).filter((name) => !known.has(name))
  if (unknown.length > 0) {
    throw new Error(`Invalid configuration: ${unknown.join(', ')} names no rate limit; known: ${[...known].join(', ')}`)
  }
}

export interface RateLimitContext {
  config: Config
  /** The account a login name (username or email) belongs to, if any. */
  accountIdOf: (loginName: string) => Promise<number | undefined>
  /** Told of each request a limit refuses (the audit log records refused logins). */
  onLimited?: (request: FastifyRequest, operation: Operation) => void
}

type KeyOf = (request: FastifyRequest, context: RateLimitContext) => string | Promise<string>

const keyOf: Record<RateLimitRule['key'], KeyOf> = {
  ip: (request) => request.ip,
  // Per account and client: a limit per account alone would let anyone lock
  // its owner out by spending it. Guessing spread over many clients is met by
  // the login name's progressive slowdown instead (services/password-check.ts).
  // The account, not the name: its username and its email share one bucket.
  // A name without an account counts under itself, folded as logins are; the
  // look-up is the same either way. Validation has run: the body has a username.
  username: async (request, { accountIdOf }) => {
    const name = loginNameIn(request.body as { username?: unknown; email?: unknown })
    const id = await accountIdOf(name)
    return `${id === undefined ? `name:${foldLoginName(name)}` : `account:${id}`}|${request.ip}`
  },
  // The authenticated caller: these hooks run after authentication.
  user: (request) => request.auth?.sub ?? request.ip,
}

/**
 * preHandlers enforcing an operation's `x-rate-limit` rules. Each rule counts
 * on its own, so a login is limited per IP and, separately, per account.
 * @fastify/rate-limit's createRateLimit only counts; the 429 is ours.
 */
export function rateLimitHooks(app: FastifyInstance, operation: Operation, context: RateLimitContext): preHandlerAsyncHookHandler[] {
  const { config } = context
  if (!config.rateLimit.enabled) return []
  return operation.rateLimits.map((rule) => {
    const override = config.rateLimit.overrides[overrideName(rule)]
    const max = override?.max ?? rule.max
    const windowMs = override?.windowMs ?? parseDuration(rule.window)
    const count = app.createRateLimit({
      max,
      timeWindow: windowMs,
      keyGenerator: async (request) => `${rule.bucket}:${rule.key}:${await keyOf[rule.key](request, context)}`,
    })
    return async (request) => {
      const result = await count(request)
      if (!result.isAllowed && result.isExceeded) {
        context.onLimited?.(request, operation)
        throw problem('rate_limited', {
          detail: `At most ${max} requests per ${windowMs / 1000} s for this ${rule.key}.`,
          headers: { 'retry-after': String(result.ttlInSeconds) },
        })
      }
    }
  })
}
