import { existsSync } from 'node:fs'
import type { Config, LoadOptions } from '../config.js'
import { configuredKeys } from './sections/keys.js'
import { profileClaimsProblem } from './sections/profile.js'
import { MIN_SECRET_BYTES } from './sections/tokens.js'

/**
 * Rules that tie variables together. Each returns a problem that names the
 * variables involved; the loader reports it with the others.
 */
export const crossChecks: ((config: Config, options: LoadOptions) => string | undefined)[] = [
  // Only what signs tokens needs a key: `keyturn migrate` and an import do not ask for one.
  (config, { signs }) =>
    signs && config.production && config.jwt.secret === undefined && configuredKeys(config).length === 0
      ? `JWT_SECRET is required when NODE_ENV=production (at least ${MIN_SECRET_BYTES} random bytes), ` +
        'unless JWT_KEYS or JWT_KEYS_FILE gives signing keys'
      : undefined,
  ({ argon2 }) =>
    argon2.memoryCost < 8 * argon2.parallelism
      ? 'ARGON2_MEMORY_COST must be at least 8 KiB per lane of ARGON2_PARALLELISM'
      : undefined,
  ({ passwordPolicy }) =>
    passwordPolicy.minLength > passwordPolicy.maxLength
      ? 'PASSWORD_MIN_LENGTH must not be larger than PASSWORD_MAX_LENGTH'
      : undefined,
  ({ passwordPolicy }) =>
    passwordPolicy.rejectCommon && !existsSync(passwordPolicy.commonList)
      ? `PASSWORD_COMMON_LIST names no file (${passwordPolicy.commonList})`
      : undefined,
  profileClaimsProblem,
  ({ mail }) => (mail.transport === 'smtp' && !mail.smtpUrl ? 'SMTP_URL is required when MAIL_TRANSPORT=smtp' : undefined),
]
