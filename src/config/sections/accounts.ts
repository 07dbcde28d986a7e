import { duration, integer, oneOf } from '../parsers.js'
import { variable } from '../variable.js'
import { httpsInProduction, parseLinkTemplate, publicOrigin } from './passwords.js'

/** The names an account signs in with (Django's USERNAME_FIELD, allauth's ACCOUNT_LOGIN_METHODS). */
export type LoginFields = 'username' | 'email' | 'username,email'

/** allauth's ACCOUNT_EMAIL_VERIFICATION. */
export type EmailVerification = 'none' | 'optional' | 'mandatory'

/** EMAIL_VERIFICATION as set, read before parsing: a bad value is reported by its own variable. */
const verificationOff = (env: Record<string, string | undefined>) => (env.EMAIL_VERIFICATION ?? '').trim() === '' || env.EMAIL_VERIFICATION?.trim() === 'none'

function parseLoginFields(raw: string): LoginFields {
  const fields = [...new Set(raw.split(',').map((field) => field.trim().toLowerCase()).filter(Boolean))].sort().reverse()
  const value = fields.join(',')
  if (value !== 'username' && value !== 'email' && value !== 'username,email') {
    throw new Error(`must be username, email, or username,email (got "${raw}")`)
  }
  return value
}

export const accountVariables = {
  accounts: {
    loginFields: variable('LOGIN_FIELDS', parseLoginFields, {
      default: 'username,email',
      doc: '`username`, `email` (registration takes no username; the email is the login name, as a Django model with `USERNAME_FIELD = \'email\'`), or both; with `username` alone an email is never a login name',
    }),
    emailVerification: variable('EMAIL_VERIFICATION', oneOf(['none', 'optional', 'mandatory'] as const), {
      default: 'none',
      doc: 'allauth\'s ACCOUNT_EMAIL_VERIFICATION: `none`; `optional` (a link is mailed; an address is a login name and reset target only once verified); `mandatory` (also: an unverified account cannot sign in or refresh, 403 `email_not_verified`, and registration needs an email). See "Accounts and email verification"',
    }),
    verifyUrlTemplate: variable('EMAIL_VERIFY_URL', parseLinkTemplate, {
      default: {
        value: (env) => `${publicOrigin(env)}/verify-email?token={token}`,
        doc: '`<PUBLIC_URL>/verify-email?token={token}`',
      },
      doc: 'the link mailed to verify an address (your frontend\'s page, which POSTs the token to `/v1/auth/email/verify`): `{token}` is replaced by the one-time token; the fragment form `…#token={token}` keeps it out of logs; `https:` in production',
      productionScope: 'mailing',
      // Only links that are mailed must be https: with verification off none is.
      production: (template, _set, env) => (verificationOff(env) ? undefined : httpsInProduction(template)),
    }),
    verifyTtlMs: variable('EMAIL_VERIFY_TTL', duration({ min: 60_000, timer: true }), {
      default: '3d',
      doc: 'how long a verification link works (allauth\'s default: 3 days)',
    }),
    verifyMaxPerHour: variable('EMAIL_VERIFY_MAX_PER_HOUR', integer({ min: 1, max: 1000 }), {
      default: '3',
      doc: 'verification mails one account gets an hour at most; more resend requests are answered alike and send nothing',
    }),
  },
}
