import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import path from 'node:path'
import {
  parseBoolean,
  parseDuration,
  parseInteger,
  parseList,
  parseRateLimit,
  parseTimerDuration,
  parseTrustProxy,
  parseUrl,
  type RateLimitValue,
} from './env-parsers.js'
import { packageRoot } from './paths.js'
import type { MailConfig } from './mail/mailer.js'
import type { PasswordPolicy } from './services/password-policy.js'

export type Env = Record<string, string | undefined>

/** openapi.yaml's hard limit on any password field; PASSWORD_MAX_LENGTH can only lower it. */
const MAX_PASSWORD_LENGTH = 1024
const defaultCommonPasswordList = path.join(packageRoot, 'assets', 'common-passwords.txt.gz')

export interface Config {
  readonly production: boolean
  readonly http: {
    readonly host: string
    readonly port: number
    readonly trustProxy: boolean | string[]
    readonly shutdownGraceMs: number
  }
  readonly logLevel: string
  readonly database: {
    /** Unset means the embedded PGlite database in dataDir. */
    readonly url: string | undefined
    readonly dataDir: string
    readonly poolMax: number
    readonly preparedStatements: boolean
    readonly migrateOnStart: boolean
  }
  readonly jwt: {
    readonly secret: string
    /** True when no JWT_SECRET was given and one was generated for this process only. */
    readonly ephemeralSecret: boolean
    readonly issuer: string
    readonly audience: string
    readonly leewayMs: number
    readonly accessTokenTtlMs: number
    readonly authHeaderTypes: readonly string[]
  }
  readonly refresh: {
    readonly enabled: boolean
    readonly tokenTtlMs: number
    readonly sessionMaxAgeMs: number
    readonly reuseIntervalMs: number
    readonly cookie: boolean
  }
  readonly passwordPolicy: PasswordPolicy
  readonly passwordReset: {
    /** The link mailed to the user; {token} is replaced by the one-time token. */
    readonly urlTemplate: string
    readonly ttlMs: number
    /** Reset mails an account gets in an hour at most; more requests are answered the same, and send nothing. */
    readonly maxPerHour: number
  }
  readonly mail: MailConfig
  readonly loginSlowdown: {
    /** Failed logins in a row after which an account's attempts are slowed. */
    readonly after: number
    /** The longest wait; 0 turns the slowdown off. */
    readonly maxMs: number
  }
  readonly argon2: {
    readonly memoryCost: number
    readonly timeCost: number
    readonly parallelism: number
  }
  readonly rateLimit: {
    readonly enabled: boolean
    /** RATE_LIMIT_<NAME>_<KEY> values; the defaults live in openapi.yaml. */
    readonly overrides: Readonly<Record<string, RateLimitValue>>
    readonly redisUrl: string | undefined
  }
  readonly denylistSyncIntervalMs: number
  /** How long a user read for GET /me may be served from memory; 0 turns the cache off. */
  readonly userCacheTtlMs: number
  readonly pruneIntervalMs: number
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`)
    this.name = 'ConfigError'
  }
}

const MIN_SECRET_BYTES = 32
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

/** Reads and validates the environment once; every problem is reported with its variable's name. */
export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = []
  function read<T>(name: string, parse: (raw: string) => T, fallback: T): T {
    const raw = env[name]
    if (raw === undefined || raw.trim() === '') return fallback
    try {
      return parse(raw)
    } catch (error) {
      problems.push(`${name} ${(error as Error).message}`)
      return fallback
    }
  }
  const oneOf = (allowed: string[]) => (raw: string) => {
    if (!allowed.includes(raw)) throw new Error(`must be one of ${allowed.join(', ')} (got "${raw}")`)
    return raw
  }

  const production = env.NODE_ENV === 'production'
  const databaseUrl = read('DATABASE_URL', (raw) => parseUrl(raw, ['postgres:', 'postgresql:']), undefined)

  const secret = env.JWT_SECRET ?? ''
  if (production && secret === '') {
    problems.push(`JWT_SECRET is required when NODE_ENV=production (at least ${MIN_SECRET_BYTES} bytes)`)
  } else if (production && Buffer.byteLength(secret) < MIN_SECRET_BYTES) {
    problems.push(`JWT_SECRET must be at least ${MIN_SECRET_BYTES} bytes when NODE_ENV=production`)
  }

  const argon2 = {
    memoryCost: read('ARGON2_MEMORY_COST', (raw) => parseInteger(raw, { min: 8, max: 4_194_304 }), 19_456),
    timeCost: read('ARGON2_TIME_COST', (raw) => parseInteger(raw, { min: 1, max: 100 }), 2),
    parallelism: read('ARGON2_PARALLELISM', (raw) => parseInteger(raw, { min: 1, max: 64 }), 1),
  }
  if (argon2.memoryCost < 8 * argon2.parallelism) {
    problems.push('ARGON2_MEMORY_COST must be at least 8 KiB per lane of ARGON2_PARALLELISM')
  }

  const refresh = {
    enabled: read('REFRESH_ENABLED', parseBoolean, true),
    tokenTtlMs: read('REFRESH_TOKEN_TTL', parseDuration, 7 * 86_400_000),
    sessionMaxAgeMs: read('SESSION_MAX_AGE', parseDuration, 30 * 86_400_000),
    reuseIntervalMs: read('REFRESH_REUSE_INTERVAL', parseDuration, 10_000),
    cookie: read('REFRESH_COOKIE', parseBoolean, false),
  }
  const accessTokenTtlMs = read('ACCESS_TOKEN_TTL', parseDuration, 15 * 60_000)
  for (const [name, value] of [
    ['ACCESS_TOKEN_TTL', accessTokenTtlMs],
    ['REFRESH_TOKEN_TTL', refresh.tokenTtlMs],
    ['SESSION_MAX_AGE', refresh.sessionMaxAgeMs],
  ] as const) {
    if (value < 1000) problems.push(`${name} must be at least one second`)
  }

  const rateLimitOverrides: Record<string, RateLimitValue> = {}
  for (const name of Object.keys(env).filter((key) => /^RATE_LIMIT_[A-Z0-9_]+$/.test(key) && key !== 'RATE_LIMIT_ENABLED')) {
    const value = read(name, parseRateLimit, undefined)
    if (value) rateLimitOverrides[name] = value
  }

  const headerTypes = read('AUTH_HEADER_TYPES', parseList, ['Bearer'])
  if (headerTypes.length === 0 || headerTypes.some((type) => !/^[A-Za-z][A-Za-z0-9._~+/-]*$/.test(type))) {
    problems.push('AUTH_HEADER_TYPES must list header prefixes such as "Bearer" or "Bearer,JWT"')
  }

  const passwordPolicy: PasswordPolicy = {
    minLength: read('PASSWORD_MIN_LENGTH', (raw) => parseInteger(raw, { min: 1, max: MAX_PASSWORD_LENGTH }), 8),
    maxLength: read('PASSWORD_MAX_LENGTH', (raw) => parseInteger(raw, { min: 1, max: MAX_PASSWORD_LENGTH }), 256),
    rejectCommon: read('PASSWORD_REJECT_COMMON', parseBoolean, true),
    commonList: path.resolve(env.PASSWORD_COMMON_LIST?.trim() || defaultCommonPasswordList),
    rejectSimilar: read('PASSWORD_REJECT_SIMILAR', parseBoolean, true),
    rejectNumeric: read('PASSWORD_REJECT_NUMERIC', parseBoolean, true),
  }
  if (passwordPolicy.minLength > passwordPolicy.maxLength) {
    problems.push('PASSWORD_MIN_LENGTH must not be larger than PASSWORD_MAX_LENGTH')
  }
  if (passwordPolicy.rejectCommon && !existsSync(passwordPolicy.commonList)) {
    problems.push(`PASSWORD_COMMON_LIST names no file (${passwordPolicy.commonList})`)
  }

  const mailTransport = read('MAIL_TRANSPORT', oneOf(['log', 'smtp']), 'log') as MailConfig['transport']
  const smtpUrl = read('SMTP_URL', (raw) => parseUrl(raw, ['smtp:', 'smtps:']), undefined)
  if (mailTransport === 'smtp' && !smtpUrl) problems.push('SMTP_URL is required when MAIL_TRANSPORT=smtp')

  const config: Config = {
    production,
    http: {
      host: env.HOST?.trim() || '127.0.0.1',
      port: read('PORT', (raw) => parseInteger(raw, { min: 0, max: 65_535 }), 3000),
      trustProxy: read('TRUST_PROXY', parseTrustProxy, false),
      shutdownGraceMs: read('SHUTDOWN_GRACE', (raw) => parseTimerDuration(raw, 1), 10_000),
    },
    logLevel: read('LOG_LEVEL', oneOf(LOG_LEVELS), 'info'),
    database: {
      url: databaseUrl,
      dataDir: path.resolve(env.DATA_DIR?.trim() || './data'),
      poolMax: read('DATABASE_POOL_MAX', (raw) => parseInteger(raw, { min: 1, max: 1000 }), 10),
      preparedStatements: read('DATABASE_PREPARED_STATEMENTS', parseBoolean, true),
      migrateOnStart: read('MIGRATE_ON_START', parseBoolean, databaseUrl === undefined),
    },
    jwt: {
      secret: secret || randomBytes(48).toString('base64url'),
      ephemeralSecret: secret === '',
      issuer: env.JWT_ISSUER?.trim() || 'keyturn',
      audience: env.JWT_AUDIENCE?.trim() || 'keyturn',
      leewayMs: read('JWT_LEEWAY', parseDuration, 0),
      accessTokenTtlMs,
      authHeaderTypes: headerTypes,
    },
    refresh,
    passwordPolicy,
    passwordReset: {
      urlTemplate: read('PASSWORD_RESET_URL', parseResetUrl, 'http://127.0.0.1:3000/reset-password?token={token}'),
      ttlMs: read('PASSWORD_RESET_TTL', (raw) => parseTimerDuration(raw, 60_000), 3_600_000),
      maxPerHour: read('PASSWORD_RESET_MAX_PER_HOUR', (raw) => parseInteger(raw, { min: 1, max: 1000 }), 3),
    },
    mail: { transport: mailTransport, smtpUrl, from: env.MAIL_FROM?.trim() || 'keyturn <no-reply@localhost>' },
    loginSlowdown: {
      after: read('LOGIN_SLOWDOWN_AFTER', (raw) => parseInteger(raw, { min: 1, max: 1000 }), 5),
      maxMs: read('LOGIN_SLOWDOWN_MAX', (raw) => parseTimerDuration(raw), 10_000),
    },
    argon2,
    rateLimit: {
      enabled: read('RATE_LIMIT_ENABLED', parseBoolean, true),
      overrides: rateLimitOverrides,
      redisUrl: read('REDIS_URL', (raw) => parseUrl(raw, ['redis:', 'rediss:']), undefined),
    },
    denylistSyncIntervalMs: read('DENYLIST_SYNC_INTERVAL', (raw) => parseTimerDuration(raw, 10), 500),
    pruneIntervalMs: read('PRUNE_INTERVAL', parseTimerDuration, 3_600_000),
    userCacheTtlMs: read('USER_CACHE_TTL', parseTimerDuration, 1000),
  }
  if (problems.length > 0) throw new ConfigError(problems)
  return deepFreeze(config)
}

/** A link with {token} where the token goes, http(s) once it is filled in. */
function parseResetUrl(raw: string): string {
  if (!raw.includes('{token}')) throw new Error('must contain {token}, where the reset token goes')
  parseUrl(raw.replace('{token}', 'token'), ['http:', 'https:'])
  return raw
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner)
    Object.freeze(value)
  }
  return value
}
