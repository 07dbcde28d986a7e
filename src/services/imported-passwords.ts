import { randomBytes } from 'node:crypto'
import { djangoHashStanding } from '../crypto/django-hashes.js'

/**
 * What an imported password value is to keyturn: a Django hash it verifies,
 * Django's own unusable password (or none), one over the cost caps, or a
 * format it does not read. Only the first is kept as a hash; the last two are
 * imported as unusable, so that every login attempt on them costs what one on
 * a missing account costs and never more than Django's defaults.
 */
export type PasswordStanding = 'usable' | 'unusable' | 'too_costly' | 'unsupported'

export function passwordStanding(password: string): PasswordStanding {
  if (password === '' || password.startsWith('!')) return 'unusable'
  const standing = djangoHashStanding(password)
  return standing === 'unreadable' ? 'unsupported' : standing
}

/** What Django's set_unusable_password() stores: "!" and 40 random characters, which no password hashes to. */
export function unusablePassword(): string {
  return `!${randomBytes(30).toString('base64url')}`
}
