import { accountVariables } from './sections/accounts.js'
import { browserVariables } from './sections/browser.js'
import { databaseVariables } from './sections/database.js'
import { feedVariables } from './sections/feed.js'
import { introspectionVariables } from './sections/introspection.js'
import { keyVariables } from './sections/keys.js'
import { limitVariables } from './sections/limits.js'
import { mailVariables } from './sections/mail.js'
import { operateVariables } from './sections/operate.js'
import { passwordVariables } from './sections/passwords.js'
import { profileVariables } from './sections/profile.js'
import { serverVariables } from './sections/server.js'
import { tokenVariables } from './sections/tokens.js'

/**
 * Every environment variable keyturn reads, once, grouped as Config is.
 * A new setting is one entry in one section: its type, validation, README
 * row and production rule follow from it.
 */
export const configTable = {
  ...serverVariables,
  ...databaseVariables,
  ...tokenVariables,
  ...feedVariables,
  ...browserVariables,
  ...keyVariables,
  ...passwordVariables,
  ...mailVariables,
  ...accountVariables,
  ...limitVariables,
  ...introspectionVariables,
  ...operateVariables,
  ...profileVariables,
}
