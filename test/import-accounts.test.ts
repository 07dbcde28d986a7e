import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import t, { type Test } from 'tap'
import { loadConfig } from '../src/config.js'
import { importDjangoUsers } from '../src/services/import-django.js'
import { cliDatabaseEnv, keyturn, openCliDatabase, type Env } from './cli-support.js'
import { createTestDb, login, signUp, testEnv } from './helper.js'
import { tempDir } from './processes.js'
import { buildServed } from './profile-support.js'

// Made by test/fixtures/django/make_email_users.py with Django and django-allauth themselves.
const fixtures = path.resolve(import.meta.dirname, 'fixtures/django')
const emailUsers = path.join(fixtures, 'email-users.json')
const emailAddresses = path.join(fixtures, 'email-addresses.json')

/** The profile of the fixtures' project: a phone number and a newsletter flag, neither required. */
async function profileSchema(t: Test): Promise<string> {
  const file = path.join(await tempDir(t), 'profile.json')
  await writeFile(
    file,
    JSON.stringify({
      type: 'object',
      properties: { phone_number: { type: 'string', pattern: '^\\+[1-9][0-9]{6,14}$' }, newsletter: { type: 'boolean' } },
    }),
  )
  return file
}

async function migrated(t: Test, extra: Env = {}): Promise<Env> {
  const env = { ...(await cliDatabaseEnv(t)), ...extra }
  t.equal((await keyturn(['migrate'], env)).code, 0)
  return env
}

t.test('import-django: a model whose USERNAME_FIELD is email, its phone numbers, and allauth\'s addresses', async (t) => {
  const schema = await profileSchema(t)
  const env = await migrated(t, { PROFILE_SCHEMA_FILE: schema })
  const args = ['import-django', emailUsers, '--profile-fields', 'phone_number,newsletter', '--email-addresses', emailAddresses]
  const res = await keyturn(args, env)
  t.equal(res.code, 0, res.stderr)
  t.match(res.stdout, /^created: 4\nskipped: 0\ninvalid: 1\n/)
  t.match(res.stdout, /record 5 \(pk 5\): profile field phone_number must match pattern/, 'a phone number the schema refuses is named')
  t.match(res.stdout, 'allauth primary addresses read: 4')
  const again = await keyturn(args, env)
  t.match(again.stdout, /^created: 0\nskipped: 4\ninvalid: 1\n/, 'running it again changes nothing')

  const db = await openCliDatabase(t, env)
  const rows = await db
    .selectFrom('users')
    .select(['id', 'username', 'email', 'email_verified', 'profile', 'is_staff'])
    .orderBy('id')
    .execute()
  t.same(rows, [
    { id: 1, username: null, email: 'ada@example.com', email_verified: true, profile: { phone_number: '+33612345678', newsletter: true }, is_staff: true },
    { id: 2, username: null, email: 'grace@example.com', email_verified: false, profile: { newsletter: false }, is_staff: false },
    { id: 3, username: null, email: 'linus@new.example.com', email_verified: true, profile: { phone_number: '+4915112345678', newsletter: false }, is_staff: false },
    { id: 4, username: null, email: 'margaret@example.com', email_verified: false, profile: { phone_number: '+14155550123', newsletter: false }, is_staff: false },
  ], 'no usernames; the primary address, verified as allauth says; no primary, unverified; a blank phone is left out')

  const app = await buildServed(t, { db, env: { PROFILE_SCHEMA_FILE: schema } })
  const ada = await login(app, 'ada@example.com')
  t.equal(ada.statusCode, 200, 'an email-only user signs in with the email and the Django password')
  t.equal(ada.json().user.username, null)
  t.same(ada.json().user.profile, { phone_number: '+33612345678', newsletter: true })
  t.equal((await login(app, 'linus@new.example.com')).statusCode, 200, 'the primary address is the login name')
  t.equal((await login(app, 'linus@example.com')).statusCode, 401, 'a secondary allauth address is not kept')

})

t.test('import-django: without allauth\'s addresses imported emails count as verified; --profile-fields needs a schema', async (t) => {
  const env = await migrated(t)
  const refused = await keyturn(['import-django', emailUsers, '--profile-fields', 'phone_number'], env)
  t.equal(refused.code, 2)
  t.match(refused.stderr, '--profile-fields needs PROFILE_SCHEMA_FILE')
  const bad = await keyturn(['import-django', emailUsers, '--profile-fields', 'a:b:c'], { ...env, PROFILE_SCHEMA_FILE: await profileSchema(t) })
  t.equal(bad.code, 2)
  t.match(bad.stderr, '"a:b:c" is not FIELD or FIELD:PROFILE_FIELD')

  const res = await keyturn(['import-django', emailUsers], env)
  t.equal(res.code, 0, res.stderr)
  t.match(res.stdout, /^created: 5\n/)
  const db = await openCliDatabase(t, env)
  const rows = await db.selectFrom('users').select(['email', 'email_verified', 'profile']).orderBy('id').execute()
  t.ok(rows.every((row) => row.email_verified && Object.keys(row.profile).length === 0), 'verified, and no profile without --profile-fields')
  t.equal(rows[2]!.email, 'linus@example.com', "the user's own email field")
})

const record = (pk: number, fields: Record<string, unknown>) => ({
  model: 'accounts.user',
  pk,
  fields: { password: 'pbkdf2_sha256$1$salt$x', last_login: null, is_staff: false, is_active: true, date_joined: '2024-01-02T03:04:05Z', ...fields },
})

t.test('importDjangoUsers: an account without a username holds its email as its only login name', async (t) => {
  const { db } = await createTestDb(t)
  const app = await buildServed(t, { db })
  await signUp(app, 'registered') // registered@example.com
  const schemaFile = await profileSchema(t)
  const config = loadConfig({ ...testEnv, PROFILE_SCHEMA_FILE: schemaFile }).profile
  const records = [
    record(10, { email: 'Registered@example.com' }),
    record(11, { email: '' }),
    record(12, { email: 'not an address' }),
    record(13, { email: 'fresh@example.com', mobile: '+33612345678' }),
    record(14, { username: 'holder', email: 'shared@example.com' }),
    record(15, { email: 'Shared@example.com' }),
    record(16, { email: 'taken@example.com', mobile: 'call me' }),
  ]
  const report = await importDjangoUsers(db, records, { profile: { fields: [['mobile', 'phone_number']], config } })
  t.equal(report.created, 3)
  t.same(report.invalidReasons, [
    "record 2 (pk 11): has no username field (USERNAME_FIELD = 'email'?) and no email to sign in with",
    'record 3 (pk 12): has no username field and its email "not an address" must be an email address',
    'record 7 (pk 16): profile field phone_number must match pattern "^\\+[1-9][0-9]{6,14}$"',
  ])
  t.same(report.takenEmails, ['Registered@example.com'], "another account's email is no account's only login name")
  t.same(report.withoutEmail, ['holder'], 'an email-only account keeps its email, as a username would')
  const fresh = await db.selectFrom('users').select(['username', 'profile']).where('id', '=', 13).executeTakeFirstOrThrow()
  t.same(fresh, { username: null, profile: { phone_number: '+33612345678' } }, 'a renamed profile field')
  const holder = await db.selectFrom('login_names').select('user_id').where('name', '=', 'shared@example.com').executeTakeFirstOrThrow()
  t.equal(holder.user_id, 15)
})
