import path from 'node:path'
import { packageRoot } from '../../paths.js'
import { duration, integer, parseBoolean } from '../parsers.js'
import { variable, type Env } from '../variable.js'

/** openapi.yaml's hard limit on any password field; PASSWORD_MAX_LENGTH can only lower it. */
export const MAX_PASSWORD_LENGTH = 1024
const defaultCommonPasswordList = path.join(packageRoot, 'assets', 'common-passwords.txt.gz')

/** A link template: {token} is where the one-time token goes; the rest must be an http(s) URL. */
export function parseLinkTemplate(raw: string): string {
  const template = raw.trim()
  if (!template.includes('{token}')) throw new Error('must contain {token}, where the token goes')
  let parsed: URL
  try {
    parsed = new URL(template.replaceAll('{token}', 'token'))
  } catch {
    throw new Error('must be a URL with {token} in it')
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('must be an http:// or https:// URL')
  return template
}

/** PUBLIC_URL, or where `npm start` listens on this machine. */
export function publicOrigin(env: Env): string {
  return env.PUBLIC_URL?.trim().replace(/\/+$/, '') || `http://127.0.0.1:${env.PORT?.trim() || '3000'}`
}

/** A link mailed in production must not travel in clear text. */
export const httpsInProduction = (template: string) =>
  template.startsWith('http:') ? 'must be an https:// URL when NODE_ENV=production (the link carries a one-time token)' : undefined

export const passwordVariables = {
  passwordPolicy: {
    minLength: variable('PASSWORD_MIN_LENGTH', integer({ min: 1, max: MAX_PASSWORD_LENGTH }), {
      default: '8',
      doc: 'shortest new password (characters)',
    }),
    maxLength: variable('PASSWORD_MAX_LENGTH', integer({ min: 1, max: MAX_PASSWORD_LENGTH }), {
      default: '256',
      doc: `longest new password, at most ${MAX_PASSWORD_LENGTH} (a longer one is a quick 400, never hashed)`,
    }),
    rejectCommon: variable('PASSWORD_REJECT_COMMON', parseBoolean, {
      default: 'true',
      doc: 'refuse the 20,000 most common passwords (Django\'s list, shipped in `assets/`)',
    }),
    commonList: variable('PASSWORD_COMMON_LIST', (raw) => path.resolve(raw.trim()), {
      default: { value: defaultCommonPasswordList, doc: '`assets/common-passwords.txt.gz`' },
      doc: 'your own list instead: one password a line, gzipped if it ends in `.gz`',
    }),
    rejectSimilar: variable('PASSWORD_REJECT_SIMILAR', parseBoolean, {
      default: 'true',
      doc: 'refuse a password equal to the username, the email or its local part',
    }),
    rejectNumeric: variable('PASSWORD_REJECT_NUMERIC', parseBoolean, {
      default: 'true',
      doc: 'refuse a password of digits only',
    }),
  },
  passwordReset: {
    urlTemplate: variable('PASSWORD_RESET_URL', parseLinkTemplate, {
      default: {
        value: (env) => `${publicOrigin(env)}/reset-password?token={token}`,
        doc: '`<PUBLIC_URL>/reset-password?token={token}`',
      },
      doc: 'the link mailed for a reset (your frontend\'s page): `{token}` is replaced by the one-time token; prefer the fragment form `https://app.example.com/reset#token={token}`, which keeps the token out of web server logs and `Referer` headers; `https:` in production',
      productionScope: 'mailing',
      production: (template) => httpsInProduction(template),
    }),
    ttlMs: variable('PASSWORD_RESET_TTL', duration({ min: 60_000, timer: true }), {
      default: '1h',
      doc: 'how long a reset link works',
    }),
    maxPerHour: variable('PASSWORD_RESET_MAX_PER_HOUR', integer({ min: 1, max: 1000 }), {
      default: '3',
      doc: 'reset mails one account gets an hour at most; more requests are answered alike and send nothing',
    }),
  },
  loginSlowdown: {
    after: variable('LOGIN_SLOWDOWN_AFTER', integer({ min: 1, max: 1000 }), {
      default: '5',
      doc: 'failed password checks in a row after which a login name is slowed down (whether or not an account has it)',
    }),
    maxMs: variable('LOGIN_SLOWDOWN_MAX', duration({ timer: true }), {
      default: '10s',
      doc: 'the longest an attempt on one login name waits; attempts that would queue longer are answered 429 (`0`: no slowdown)',
    }),
    resetMs: variable('LOGIN_SLOWDOWN_RESET', duration({ min: 1000, max: 30 * 86_400_000 }), {
      default: '15m',
      doc: 'a login name\'s failures are forgotten this long after the last one',
    }),
  },
  argon2: {
    memoryCost: variable('ARGON2_MEMORY_COST', integer({ min: 8, max: 4_194_304 }), {
      default: { value: 19_456, doc: '`19456` (KiB)' },
      doc: 'argon2id memory (OWASP\'s recommendation)',
    }),
    timeCost: variable('ARGON2_TIME_COST', integer({ min: 1, max: 100 }), { default: '2', doc: 'argon2id iterations' }),
    parallelism: variable('ARGON2_PARALLELISM', integer({ min: 1, max: 64 }), { default: '1', doc: 'argon2id lanes' }),
  },
}
