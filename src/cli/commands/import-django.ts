import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import type { Config } from '../../config.js'
import { primaryAddresses } from '../../services/import-allauth.js'
import { DumpFormatError, importDjangoUsers, parseDump, type ImportReport, type ProfileMapping } from '../../services/import-django.js'
import { UsageError, type CliIo, type Command } from '../command.js'
import { withDatabase } from '../database.js'

export const importDjangoCommand: Command = {
  name: 'import-django',
  summary: 'create the users of a Django dumpdata auth.user file, password hashes included',
  help: `Usage: keyturn import-django FILE [--profile-fields FIELDS] [--email-addresses FILE]

Reads what

  python manage.py dumpdata auth.user > users.json

writes (or a custom user model with AbstractUser's fields; FILE - reads stdin)
and creates those users with their password hashes as Django stored them:
they sign in with their old passwords, re-hashed to argon2id at first login.

Kept: the id (Django's pk, so the sub of tokens stays the same), username,
email, first and last name, is_staff, is_active, date_joined, last_login.

Safe to run again: a user whose id is already there is skipped. keyturn's
usernames and emails share one case-insensitive namespace, Django's emails do
not: a user whose email another account has is imported without it, and one
whose username another account logs in with is skipped; both are listed.

A custom user model whose USERNAME_FIELD is email (no username field) is
read too: its users get no username and sign in with their email, which
they then must have.

  --profile-fields phone_number,birth_date:born
      copy these extra model fields into the profile (a field may be renamed,
      django_name:profile_name), checked against PROFILE_SCHEMA_FILE, which
      must be set; Django's empty values (null, "") are left out.
  --email-addresses FILE
      what  python manage.py dumpdata account.emailaddress  writes
      (django-allauth): each user's primary address becomes their email,
      verified as allauth says; a user without a primary address keeps the
      email of FILE, unverified. Without it, imported emails count as verified.`,

  async run(args, { config, io }) {
    const { positionals, values } = parseArgs({
      args,
      allowPositionals: true,
      options: { 'profile-fields': { type: 'string' }, 'email-addresses': { type: 'string' } },
    })
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'FILE is missing' : 'one FILE at a time')
    const file = positionals[0]!
    const profile = values['profile-fields'] === undefined ? undefined : profileMapping(values['profile-fields'], config.profile)
    const addresses = values['email-addresses'] === undefined ? undefined : primaryAddresses(await readDump(values['email-addresses'], io))
    const records = await readDump(file, io)
    const stderr = io.stderr as CliIo['stderr'] & { isTTY?: boolean }
    const onProgress = stderr.isTTY
      ? (done: number, total: number) => stderr.write(`\r  ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')}`)
      : undefined
    const report = await withDatabase(config, (db) =>
      importDjangoUsers(db, records, { onProgress, ...(profile ? { profile } : {}), ...(addresses ? { primaryAddresses: addresses.primaries } : {}) }),
    )
    if (onProgress) stderr.write('\n')
    io.stdout.write(summary(report))
    if (addresses) io.stdout.write(addressSummary(addresses.primaries.size, addresses.invalid))
    return 0
  },
}

/** `phone_number,birth_date:born` → [[phone_number, phone_number], [birth_date, born]]. */
function profileMapping(option: string, config: Config['profile']): ProfileMapping {
  if (!config.schema) throw new UsageError('--profile-fields needs PROFILE_SCHEMA_FILE: the profile keeps only the fields a schema declares')
  const fields = option.split(',').map((item) => item.trim()).filter(Boolean).map((item) => {
    const [django, name = django, ...rest] = item.split(':').map((part) => part.trim())
    if (!django || !name || rest.length > 0) throw new UsageError(`--profile-fields: "${item}" is not FIELD or FIELD:PROFILE_FIELD`)
    return [django, name] as const
  })
  if (fields.length === 0) throw new UsageError('--profile-fields names no field')
  return { fields, config }
}

function addressSummary(primaries: number, invalid: string[]): string {
  const lines = [`allauth primary addresses read: ${primaries}`]
  if (invalid.length > 0) {
    lines.push(`email address records ignored: ${invalid.length}${invalid.length > 10 ? ' (the first ones)' : ''}:`)
    lines.push(...invalid.slice(0, 10).map((reason) => `  ${reason}`))
  }
  return `${lines.join('\n')}\n`
}

async function readDump(file: string, io: CliIo): Promise<unknown[]> {
  let text: string
  try {
    text = file === '-' ? await readAll(io.stdin) : await readFile(file, 'utf8')
  } catch (error) {
    throw new Error(`cannot read ${file}: ${(error as Error).message}`)
  }
  try {
    return parseDump(text)
  } catch (error) {
    throw error instanceof DumpFormatError ? new Error(`${file}: ${error.message}`) : error
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(Buffer.from(chunk))
  return Buffer.concat(chunks).toString('utf8')
}

function summary(report: ImportReport): string {
  const lines = [
    `created: ${report.created}`,
    `skipped: ${report.skipped}`,
    `invalid: ${report.invalid}`,
    `imported without their email: ${report.withoutEmail.length + report.badEmails.length}`,
  ]
  if (report.invalidReasons.length > 0) {
    lines.push(`Invalid records${report.invalid > report.invalidReasons.length ? ' (the first ones)' : ''}:`)
    lines.push(...report.invalidReasons.map((reason) => `  ${reason}`))
  }
  if (report.takenIds.length > 0) {
    lines.push('Skipped, their id belongs to another account (ids are kept, as tokens carry them):')
    lines.push(...report.takenIds.map((entry) => `  ${entry}`))
  }
  if (report.takenUsernames.length > 0) {
    lines.push("Skipped, their username is another account's username or email:")
    lines.push(...report.takenUsernames.map((name) => `  ${name}`))
  }
  if (report.takenEmails.length > 0) {
    lines.push('Skipped, without a username their email is their login name, and another account has it:')
    lines.push(...report.takenEmails.map((name) => `  ${name}`))
  }
  if (report.withoutEmail.length > 0) {
    lines.push('Imported without their email, which another account already has:')
    lines.push(...report.withoutEmail.map((name) => `  ${name}`))
  }
  if (report.badEmails.length > 0) {
    lines.push('Imported without their email, which is not an email address:')
    lines.push(...report.badEmails.map((name) => `  ${name}`))
  }
  if (report.unusablePasswords > 0) {
    lines.push(`without a usable password (Django's set_unusable_password): ${report.unusablePasswords}`)
    lines.push('  They can sign in after a password reset.')
  }
  // "…: 3 (the first 2 listed)", then the usernames, one a line.
  const listed = (count: number, usernames: string[]) => [
    `${count}${count > usernames.length ? ` (the first ${usernames.length} listed)` : ''}`,
    ...usernames.map((name) => `  ${name}`),
  ]
  if (report.tooCostlyPasswords > 0) {
    const [head, ...names] = listed(report.tooCostlyPasswords, report.tooCostlyUsernames)
    lines.push(`imported without their password, whose hash costs more than Django's defaults: ${head}`, ...names)
    lines.push('  They can sign in after a password reset.')
  }
  if (report.unsupportedPasswords > 0) {
    const [head, ...names] = listed(report.unsupportedPasswords, report.unsupportedUsernames)
    lines.push(`imported without their password, hashed in a format keyturn does not read: ${head}`, ...names)
    lines.push('  They can sign in after a password reset.')
  }
  return `${lines.join('\n')}\n`
}
