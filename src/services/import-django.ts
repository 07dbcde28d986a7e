import type { Config } from '../config.js'
import type { Db } from '../db/create-db.js'
import {
  usernamesById,
  insertImportedUsers,
  insertLoginNames,
  lockLoginNames,
  moveUserIdsPastLargest,
  takenLoginNames,
  type ImportedUser,
} from '../db/import.js'
import { foldLoginName } from '../db/login-names.js'
import type { LoginNamesTable } from '../db/schema.js'
import { inTransaction, type Trx } from '../db/transaction.js'
import type { PrimaryAddress } from './import-allauth.js'
import { emailProblem, usernameProblem } from './create-user.js'
import { passwordStanding, unusablePassword, type PasswordStanding } from './imported-passwords.js'
import { normalizeEmail, normalizeUsername } from './normalize.js'
import { profileErrors, type Profile } from './profile.js'

/** The file itself cannot be read as a dump: nothing was imported. */
export class DumpFormatError extends Error {
  override name = 'DumpFormatError'
}

export interface ImportReport {
  total: number
  created: number
  /** Already there (same id), or a username another account logs in with. */
  skipped: number
  /** Skipped because another account (another username) has their id: "pk 7 (alice)". */
  takenIds: string[]
  invalid: number
  /** The first reasons records were invalid, "record 3 (pk 7): ...". */
  invalidReasons: string[]
  /** Skipped because their username is another account's username or email. */
  takenUsernames: string[]
  /** Skipped: without a username (USERNAME_FIELD = 'email'), their email is their login name, and another account has it. */
  takenEmails: string[]
  /** Imported, but without the email another account already logs in with. */
  withoutEmail: string[]
  /** Imported, but without an email the API would refuse (Django checks emails in forms, not in the database). */
  badEmails: string[]
  /** Django's set_unusable_password() ("!..."), or empty: they need a password reset to sign in. */
  unusablePasswords: number
  /**
   * Django hashes costlier than Django's current defaults (see
   * django-hashes.ts): imported unusable, so no login attempt can cost more
   * than Django's own; they need a password reset. The first usernames are listed.
   */
  tooCostlyPasswords: number
  tooCostlyUsernames: string[]
  /** Hashes in a format keyturn does not verify (md5, sha1, scrypt, malformed...): imported unusable, likewise. */
  unsupportedPasswords: number
  unsupportedUsernames: string[]
}

const REASONS_KEPT = 10
export const DEFAULT_BATCH_SIZE = 1000

/** `manage.py dumpdata auth.user` output: a JSON array of {model, pk, fields}. */
export function parseDump(text: string): unknown[] {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    throw new DumpFormatError(`not JSON (${(error as Error).message}); expected the output of manage.py dumpdata auth.user`)
  }
  if (!Array.isArray(data)) throw new DumpFormatError('expected a JSON array of records, the output of manage.py dumpdata auth.user')
  return data
}

/** Extra model fields copied into the profile (`--profile-fields`): [Django's field name, the profile's], checked against the schema. */
export interface ProfileMapping {
  fields: readonly (readonly [django: string, profile: string])[]
  config: Config['profile']
}

/**
 * One dumped record as a keyturn user, or why it cannot be one. Any "model"
 * is accepted: a custom user model with AbstractUser's fields dumps the same,
 * and one whose USERNAME_FIELD is email (no username field) becomes an
 * account without a username that signs in with its email.
 */
export function toImportedUser(record: unknown, now: Date, mapping?: ProfileMapping): ImportedUser | string {
  if (!isObject(record)) return 'not an object'
  const { pk, fields } = record
  if (typeof pk !== 'number' || !Number.isSafeInteger(pk) || pk < 1) return 'pk is not a positive integer id'
  if (!isObject(fields)) return 'no fields'
  const { username: rawUsername, password, email } = fields
  if (rawUsername != null && typeof rawUsername !== 'string') return 'username is not a string'
  const username = rawUsername == null ? null : normalizeUsername(rawUsername)
  const problem = username === null ? undefined : usernameProblem(username)
  if (problem) return `username ${JSON.stringify(String(rawUsername).slice(0, 160))} ${problem}`
  if (typeof password !== 'string') return 'password is not a string'
  if (email !== undefined && email !== null && typeof email !== 'string') return 'email is not a string'
  const texts = { first_name: fields.first_name ?? '', last_name: fields.last_name ?? '' }
  for (const [name, value] of Object.entries(texts)) if (typeof value !== 'string') return `${name} is not a string`
  const flags = { is_staff: fields.is_staff ?? false, is_active: fields.is_active ?? true }
  for (const [name, value] of Object.entries(flags)) if (typeof value !== 'boolean') return `${name} is not true or false`
  // A custom model without date_joined joins now; a date that is there must be one.
  const createdAt = fields.date_joined == null ? now : parseDjangoDate(fields.date_joined)
  if (!createdAt) return 'date_joined is not a date'
  const lastLoginAt = fields.last_login == null ? null : parseDjangoDate(fields.last_login)
  if (lastLoginAt === undefined) return 'last_login is not a date'
  const profile = mapping ? profileOf(fields, mapping) : {}
  if (typeof profile === 'string') return profile
  const user: ImportedUser = {
    id: pk,
    username,
    email: normalizeEmail(email as string | null | undefined),
    email_verified: true,
    pending_email: null,
    profile,
    password,
    first_name: texts.first_name as string,
    last_name: texts.last_name as string,
    is_staff: flags.is_staff as boolean,
    is_active: flags.is_active as boolean,
    created_at: createdAt,
    last_login_at: lastLoginAt,
  }
  // Postgres text cannot hold NUL; Django's database could not have either.
  if ([user.email, password, user.first_name, user.last_name].some((text) => text?.includes('\0'))) {
    return 'a field contains a NUL character'
  }
  return user
}

/**
 * The mapped fields a record has, as a profile the schema accepts. Django's
 * empty values (null, and "" for a blank CharField) are left out: the field
 * is absent, as an optional profile field is.
 */
function profileOf(fields: Record<string, unknown>, mapping: ProfileMapping): Profile | string {
  const profile: Profile = {}
  for (const [django, name] of mapping.fields) {
    const value = fields[django]
    if (value !== undefined && value !== null && value !== '') profile[name] = value
  }
  const [first] = profileErrors(mapping.config, profile, '')
  return first ? `profile field ${first.pointer.slice(1) || '(the profile)'} ${first.detail}` : profile
}

export interface ImportOptions {
  batchSize?: number
  /** `--profile-fields`: extra model fields copied into the profile. */
  profile?: ProfileMapping
  /**
   * From allauth's `account.emailaddress` dump (import-allauth.ts): each user's
   * primary address, which becomes their email, verified as allauth says.
   * Given, a user without a primary address has an unverified email (or none).
   */
  primaryAddresses?: ReadonlyMap<number, PrimaryAddress>
  /** Called after each batch with the records done so far. */
  onProgress?: (done: number, total: number) => void
  now?: Date
}

/**
 * Creates the dumped users, batch by batch, each batch one transaction.
 * Safe to run again: an id already there is skipped, never duplicated.
 */
export async function importDjangoUsers(db: Db, records: unknown[], options: ImportOptions = {}): Promise<ImportReport> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE
  const report: ImportReport = {
    total: records.length,
    created: 0,
    skipped: 0,
    takenIds: [],
    invalid: 0,
    invalidReasons: [],
    takenUsernames: [],
    takenEmails: [],
    withoutEmail: [],
    badEmails: [],
    unusablePasswords: 0,
    tooCostlyPasswords: 0,
    tooCostlyUsernames: [],
    unsupportedPasswords: 0,
    unsupportedUsernames: [],
  }
  const now = options.now ?? new Date()
  const badEmailIds = new Set<number>()
  const standings = new Map<number, PasswordStanding>()
  const users = records.map((record, index) => {
    const parsed = withAddress(toImportedUser(record, now, options.profile), options.primaryAddresses)
    if (typeof parsed !== 'string') {
      const standing = passwordStanding(parsed.password)
      standings.set(parsed.id, standing)
      const user = standing === 'too_costly' || standing === 'unsupported' ? { ...parsed, password: unusablePassword() } : parsed
      if (user.email === null || !emailProblem(user.email)) return user
      badEmailIds.add(user.id)
      return { ...user, email: null }
    }
    report.invalid++
    if (report.invalidReasons.length < REASONS_KEPT) report.invalidReasons.push(`record ${index + 1}${pkOf(record)}: ${parsed}`)
    return undefined
  })
  // Usernames and emails share one namespace. A username is what an account
  // cannot do without and an email is optional, so when one user's email is
  // another's username, anywhere in the file, the username keeps the name.
  // An account without a username holds its email as a username would.
  const usernameOwners = new Map<string, number>()
  for (const user of users) {
    const name = user && (user.username ?? user.email)
    if (user && name && !usernameOwners.has(foldLoginName(name))) usernameOwners.set(foldLoginName(name), user.id)
  }
  for (let start = 0; start < users.length; start += batchSize) {
    const batch = users.slice(start, start + batchSize).filter((user) => user !== undefined)
    // Counted after the commit: a transaction retried after a deadlock must not count twice.
    const outcome = await inTransaction(db, (trx) => importBatch(trx, batch, usernameOwners))
    report.created += outcome.created
    report.skipped += outcome.skipped
    report.takenIds.push(...outcome.takenIds)
    report.takenUsernames.push(...outcome.takenUsernames)
    report.takenEmails.push(...outcome.takenEmails)
    report.withoutEmail.push(...outcome.withoutEmail)
    report.badEmails.push(...batch.filter((user) => badEmailIds.has(user.id) && outcome.inserted.has(user.id)).map(shown))
    for (const user of batch.filter((user) => outcome.inserted.has(user.id))) {
      const standing = standings.get(user.id)
      if (standing === 'unusable') report.unusablePasswords++
      if (standing === 'too_costly' && report.tooCostlyPasswords++ < REASONS_KEPT) report.tooCostlyUsernames.push(shown(user))
      if (standing === 'unsupported' && report.unsupportedPasswords++ < REASONS_KEPT) report.unsupportedUsernames.push(shown(user))
    }
    options.onProgress?.(Math.min(start + batchSize, users.length), users.length)
  }
  return report
}

/**
 * allauth's primary address becomes the email, verified as allauth recorded
 * it; without one the email is unverified. An account without a username
 * must have an address: it is its only login name.
 */
function withAddress(parsed: ImportedUser | string, primaries: ReadonlyMap<number, PrimaryAddress> | undefined): ImportedUser | string {
  if (typeof parsed === 'string') return parsed
  const primary = primaries?.get(parsed.id)
  const user = !primaries
    ? parsed
    : primary
      ? { ...parsed, email: normalizeEmail(primary.email), email_verified: primary.verified }
      : { ...parsed, email_verified: false }
  if (user.username !== null) return user
  if (user.email === null) return 'has no username field (USERNAME_FIELD = \'email\'?) and no email to sign in with'
  const problem = emailProblem(user.email)
  return problem ? `has no username field and its email ${JSON.stringify(user.email.slice(0, 160))} ${problem}` : user
}

/** How reports name a user: their username, or the email an account without one signs in with. */
const shown = (user: ImportedUser) => user.username ?? user.email ?? `pk ${user.id}`

type BatchOutcome = Pick<ImportReport, 'created' | 'skipped' | 'takenIds' | 'takenUsernames' | 'takenEmails' | 'withoutEmail'> & {
  inserted: Set<number>
}

async function importBatch(trx: Trx, batch: ImportedUser[], usernameOwners: Map<string, number>): Promise<BatchOutcome> {
  await lockLoginNames(trx)
  const existing = await usernamesById(trx, batch.map((user) => user.id))
  const folded = batch.flatMap((user) => [...(user.username === null ? [] : [foldLoginName(user.username)]), ...(user.email ? [foldLoginName(user.email)] : [])])
  const taken = await takenLoginNames(trx, [...new Set(folded)])
  const rows: ImportedUser[] = []
  const names: LoginNamesTable[] = []
  const takenIds: string[] = []
  const takenUsernames: string[] = []
  const takenEmails: string[] = []
  const withoutEmail: ImportedUser[] = []
  for (const user of batch) {
    const username = user.username === null ? null : foldLoginName(user.username)
    if (existing.has(user.id)) {
      // The same user imported before is what a re-run expects; another user with that id is a conflict to report.
      const holder = existing.get(user.id)
      if ((holder == null ? null : foldLoginName(holder)) !== username) takenIds.push(`pk ${user.id} (${shown(user)})`)
      continue
    }
    if (username === null) {
      // Without a username the email is the account's only login name: no email, no account.
      const email = foldLoginName(user.email!)
      if (taken.has(email) || usernameOwners.get(email) !== user.id) {
        takenEmails.push(shown(user))
        continue
      }
      existing.set(user.id, null)
      taken.add(email)
      names.push({ name: email, user_id: user.id, kind: 'email' })
      rows.push(user)
      continue
    }
    if (taken.has(username)) {
      takenUsernames.push(shown(user))
      continue
    }
    existing.set(user.id, user.username)
    taken.add(username)
    names.push({ name: username, user_id: user.id, kind: 'username' })
    const email = user.email === null ? undefined : foldLoginName(user.email)
    if (email === undefined || email === username) {
      rows.push(user)
    } else if (taken.has(email) || usernameOwners.get(email) !== undefined) {
      rows.push({ ...user, email: null })
      withoutEmail.push(user)
    } else {
      taken.add(email)
      names.push({ name: email, user_id: user.id, kind: 'email' })
      rows.push(user)
    }
  }
  const inserted = await insertImportedUsers(trx, rows)
  await insertLoginNames(trx, names.filter((name) => inserted.has(name.user_id)))
  await moveUserIdsPastLargest(trx)
  return {
    inserted,
    created: inserted.size,
    skipped: batch.length - inserted.size,
    takenIds,
    takenUsernames,
    takenEmails,
    withoutEmail: withoutEmail.filter((user) => inserted.has(user.id)).map(shown),
  }
}

function pkOf(record: unknown): string {
  const pk = isObject(record) ? record.pk : undefined
  return typeof pk === 'number' || typeof pk === 'string' ? ` (pk ${String(pk).slice(0, 40)})` : ''
}

const DJANGO_DATE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/

/**
 * DjangoJSONEncoder's datetimes: ISO 8601 with "Z" or an offset, or naive
 * (USE_TZ = False), which is read as UTC. Invalid calendar dates are refused
 * rather than rolled over as JavaScript's Date would.
 */
export function parseDjangoDate(value: unknown): Date | undefined {
  const match = typeof value === 'string' ? DJANGO_DATE.exec(value) : null
  if (!match) return undefined
  const [, y, mo, d, h, mi, s = '00', fraction = '', zone = 'Z'] = match
  const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)))
  if (day.getUTCMonth() !== Number(mo) - 1 || day.getUTCDate() !== Number(d)) return undefined
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined
  const offset = zone === 'Z' ? zone : `${zone.slice(0, 3)}:${zone.slice(3).replace(':', '').padEnd(2, '0')}`
  const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}${fraction.slice(0, 4)}${offset}`)
  return Number.isNaN(date.getTime()) ? undefined : date
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
