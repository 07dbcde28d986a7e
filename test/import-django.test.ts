import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import type { Db } from '../src/db/create-db.js'
import { importDjangoUsers, parseDjangoDate, parseDump } from '../src/services/import-django.js'
import { cliDatabaseEnv, hasTerminal, keyturn, migratedEnv, onTerminal, openCliDatabase } from './cli-support.js'
import { build, createTestDb, login, signUp } from './helper.js'

const fixtures = path.resolve(import.meta.dirname, 'fixtures/django')
const authUsers = path.join(fixtures, 'auth-users.json')
const customUsers = path.join(fixtures, 'custom-users.json')

function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8'))
}


async function storedHash(db: Db, username: string): Promise<string> {
  const row = await db.selectFrom('users').select('password').where('username', '=', username).executeTakeFirstOrThrow()
  return row.password
}

t.test('import-django: a dumpdata file becomes users who sign in with their Django passwords', async (t) => {
  const env = await cliDatabaseEnv(t)
  t.equal((await keyturn(['migrate'], env)).code, 0)

  const first = await keyturn(['import-django', authUsers], env)
  t.equal(first.code, 0, first.stderr)
  t.match(first.stdout, /^created: 6\nskipped: 0\ninvalid: 0\nimported without their email: 0\n/)
  t.match(first.stdout, "without a usable password (Django's set_unusable_password): 1\n  They can sign in after a password reset.\n")
  t.notMatch(first.stdout, /: \d+;/, 'no count trails a semicolon')
  t.equal(first.stderr, '', 'no progress line when stderr is not a terminal')

  const again = await keyturn(['import-django', authUsers], env)
  t.equal(again.code, 0, again.stderr)
  t.match(again.stdout, /^created: 0\nskipped: 6\ninvalid: 0\n/, 'running it again changes nothing')

  const db = await openCliDatabase(t, env)
  const testApp = await build(t, { db })
  t.equal(Number((await db.selectFrom('users').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n), 6)

  const django: Record<string, { pk: number; staff: boolean; prefix: string }> = {
    ada: { pk: 1, staff: true, prefix: 'pbkdf2_sha256$' },
    grace: { pk: 2, staff: true, prefix: 'argon2$argon2id$' },
    linus: { pk: 3, staff: false, prefix: 'bcrypt_sha256$' },
    margaret: { pk: 4, staff: false, prefix: 'pbkdf2_sha1$' },
  }
  for (const [username, expected] of Object.entries(django)) {
    t.ok((await storedHash(db, username)).startsWith(expected.prefix), `${username}'s hash is Django's, as stored`)
    t.equal((await login(testApp, username, 'not the password')).statusCode, 401, `${username}: a wrong password fails`)
    const res = await login(testApp, username)
    t.equal(res.statusCode, 200, `${username} signs in with the old password`)
    const body = res.json()
    t.equal(body.user.id, expected.pk, 'the Django pk is the id')
    t.equal(body.user.is_staff, expected.staff)
    t.equal(claimsOf(body.tokens.access_token).sub, String(expected.pk), "tokens' sub is the Django pk")
    t.match(await storedHash(db, username), /^\$argon2id\$/, `${username}'s hash is now keyturn's argon2id`)
    t.equal((await login(testApp, username)).statusCode, 200, 'and the password still works')
  }

  const byEmail = await login(testApp, 'margaret@example.com')
  t.equal(byEmail.statusCode, 200, 'an email Django stored in mixed case signs in, case-insensitively')
  const ada = (await login(testApp, 'ada')).json()
  t.equal(ada.user.first_name, 'Ada')
  const dumped = JSON.parse(await readFile(authUsers, 'utf8'))[0].fields
  t.equal(ada.user.created_at, new Date(dumped.date_joined).toISOString(), 'date_joined is kept')

  for (const username of ['dormant', 'unusable']) {
    const res = await login(testApp, username)
    t.equal(res.statusCode, 401, `${username} cannot sign in (inactive, or no usable password)`)
    t.equal(res.json().code, 'invalid_credentials')
  }

  const newcomer = await signUp(testApp, 'newcomer')
  t.ok(newcomer.id > 6, 'a new registration gets an id after the imported ones')
})

t.test('import-django: a custom user model, read from stdin', async (t) => {
  const env = await cliDatabaseEnv(t)
  await keyturn(['migrate'], env)
  const res = await keyturn(['import-django', '-'], env, await readFile(customUsers, 'utf8'))
  t.equal(res.code, 0, res.stderr)
  t.match(res.stdout, /^created: 6\nskipped: 0\ninvalid: 0\n/)
  const testApp = await build(t, { db: await openCliDatabase(t, env) })
  t.equal((await login(testApp, 'linus')).statusCode, 200)
})

t.test('import-django: the summary names who was imported without a password it could use', async (t) => {
  const env = await cliDatabaseEnv(t)
  await keyturn(['migrate'], env)
  const dear = 'pbkdf2_sha256$2000000$s2Du2mUDABB09TIbklX5aI$FZEJzuXDtGV1tXJIfkIWPlQYsNvwDMVBy6ZbeRk9wHI='
  const records = [record(1, { username: 'dear', password: dear }), record(2, { username: 'legacy', password: 'sha1$salt$hash' })]
  const res = await keyturn(['import-django', '-'], env, JSON.stringify(records))
  t.equal(res.code, 0, res.stderr)
  t.match(res.stdout, "imported without their password, whose hash costs more than Django's defaults: 1\n  dear\n  They can sign in after a password reset.\n")
  t.match(res.stdout, 'imported without their password, hashed in a format keyturn does not read: 1\n  legacy\n  They can sign in after a password reset.\n')
})

t.test('import-django: progress on a terminal', { skip: !hasTerminal && 'no script(1) for a pseudo-terminal' }, async (t) => {
  const env = await migratedEnv(t)
  const records = Array.from({ length: 2500 }, (_, i) => record(i + 1, { username: `bulk${i + 1}` }))
  const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'keyturn-import-')), 'users.json')
  t.teardown(() => rm(path.dirname(file), { recursive: true, force: true }))
  await writeFile(file, JSON.stringify(records))
  const { code, output } = await onTerminal(['import-django', file], env, [])
  t.equal(code, 0, output)
  t.match(output, /1,000 \/ 2,500.*2,000 \/ 2,500.*2,500 \/ 2,500/s, 'a count after every batch')
  t.match(output, 'created: 2500')
})

t.test('import-django: a file it cannot read is a clear refusal', async (t) => {
  const env = await cliDatabaseEnv(t)
  await keyturn(['migrate'], env)
  const cases: [string[], string, number, string][] = [
    [[], '', 2, 'FILE is missing'],
    [['a.json', 'b.json'], '', 2, 'one FILE at a time'],
    [['/nonexistent/users.json'], '', 1, 'cannot read /nonexistent/users.json'],
    [['-'], 'not json', 1, '-: not JSON'],
    [['-'], '{"model": "auth.user"}', 1, 'expected a JSON array of records'],
  ]
  for (const [args, stdin, code, message] of cases) {
    const res = await keyturn(['import-django', ...args], env, stdin)
    t.equal(res.code, code, args.join(' ') || 'no arguments')
    t.match(res.stderr, message)
  }
  const help = await keyturn(['import-django', '--help'], env)
  t.equal(help.code, 0)
  t.match(help.stdout, 'python manage.py dumpdata auth.user')
})

function record(pk: unknown, fields: Record<string, unknown>): unknown {
  return {
    model: 'auth.user',
    pk,
    fields: {
      password: 'pbkdf2_sha256$1$salt$x',
      last_login: null,
      is_superuser: false,
      first_name: '',
      last_name: '',
      is_staff: false,
      is_active: true,
      date_joined: '2024-01-02T03:04:05.678Z',
      email: '',
      groups: [],
      user_permissions: [],
      ...fields,
    },
  }
}

t.test('importDjangoUsers: records that cannot be users are counted and explained', async (t) => {
  const { db } = await createTestDb(t)
  const records = [
    'not an object',
    record('7', { username: 'stringpk' }),
    record(0, { username: 'zeropk' }),
    record(8, { username: 'has space' }),
    record(9, { username: 'baddate', date_joined: '2024-02-30T00:00:00Z' }),
    record(10, { username: 'badflag', is_staff: 'yes' }),
    record(11, { username: 'nulls', password: 'x\u0000y' }),
    record(12, { username: 'fine', date_joined: '2024-01-02 03:04:05', last_login: '2024-06-01T10:00:00+02:00' }),
  ]
  const report = await importDjangoUsers(db, records)
  t.equal(report.total, 8)
  t.equal(report.created, 1)
  t.equal(report.invalid, 7)
  t.same(report.invalidReasons, [
    'record 1: not an object',
    'record 2 (pk 7): pk is not a positive integer id',
    'record 3 (pk 0): pk is not a positive integer id',
    'record 4 (pk 8): username "has space" may contain only letters, digits and @ . + - _',
    'record 5 (pk 9): date_joined is not a date',
    'record 6 (pk 10): is_staff is not true or false',
    'record 7 (pk 11): a field contains a NUL character',
  ])
  const fine = await db.selectFrom('users').selectAll().where('id', '=', 12).executeTakeFirstOrThrow()
  t.equal(fine.created_at.toISOString(), '2024-01-02T03:04:05.000Z', 'a naive datetime (USE_TZ = False) is read as UTC')
  t.equal(fine.last_login_at?.toISOString(), '2024-06-01T08:00:00.000Z')
})

t.test('importDjangoUsers: hashes over the cost caps or in formats keyturn cannot read import as unusable, and are reported', async (t) => {
  const { db } = await createTestDb(t)
  const pbkdf2 = (iterations: number) => `pbkdf2_sha256$${iterations}$s2Du2mUDABB09TIbklX5aI$FZEJzuXDtGV1tXJIfkIWPlQYsNvwDMVBy6ZbeRk9wHI=`
  const bcrypt = (cost: number) => `bcrypt_sha256$$2b$${cost}$wA18VJfUfNtjTtxcVpkhFOxRYxK0uqlqvIQj6bLTIXMB3sZ9PT2Hq`
  const argon2 = (m: number, t: number) => `argon2$argon2id$v=19$m=${m},t=${t},p=8$dTI1aHB2MGJWVkZhZ0NicnFLR2VRaA$7CS8B8IKbBlVhS1CyJxjuD5uKjOgeWbR5g7Wd7i7/ZQ`
  const passwords: Record<string, string> = {
    defaults: pbkdf2(1_500_000),
    argon2defaults: argon2(102_400, 2),
    bcryptdefault: bcrypt(12),
    dearpbkdf2: pbkdf2(1_500_001),
    dearbcrypt: bcrypt(13),
    deargon2: argon2(204_800, 2),
    md5: 'md5$salt$8d8ba1a4e0ff0bc8d6f84f8e0bb6fb2b',
    phc: '$argon2id$v=19$m=4194304,t=10,p=1$c2FsdHNhbHQ$aGFzaGhhc2g',
    unusable: '!72OFqBbtJV3VoGuKDjqRSCnZZIDq3B2ko7qqEcJR',
    empty: '',
  }
  const records = Object.entries(passwords).map(([username, password], i) => record(i + 1, { username, password }))
  const report = await importDjangoUsers(db, records)
  t.equal(report.created, 10)
  t.equal(report.tooCostlyPasswords, 3)
  t.same(report.tooCostlyUsernames, ['dearpbkdf2', 'dearbcrypt', 'deargon2'])
  t.equal(report.unsupportedPasswords, 2)
  t.same(report.unsupportedUsernames, ['md5', 'phc'])
  t.equal(report.unusablePasswords, 2)
  const stored = new Map((await db.selectFrom('users').select(['username', 'password']).execute()).map((row) => [row.username, row.password]))
  for (const username of ['defaults', 'argon2defaults', 'bcryptdefault', 'unusable', 'empty']) {
    t.equal(stored.get(username), passwords[username], `${username}: kept as Django stored it`)
  }
  for (const username of ['dearpbkdf2', 'dearbcrypt', 'deargon2', 'md5', 'phc']) {
    t.match(stored.get(username), /^![A-Za-z0-9_-]{40}$/, `${username}: unusable, as set_unusable_password() writes`)
  }
})

t.test('importDjangoUsers: one namespace for usernames and emails, ids kept', async (t) => {
  const { db } = await createTestDb(t)
  const testApp = await build(t, { db })
  const registered = await signUp(testApp, 'registered') // id 1, email registered@example.com
  const records = [
    record(1, { username: 'clash', email: 'clash@example.com' }),
    record(2, { username: 'Registered', email: 'someone@example.com' }),
    record(3, { username: 'first', email: 'Shared@Example.com' }),
    record(4, { username: 'second', email: 'shared@example.com' }),
    record(5, { username: 'third', email: 'registered@example.com' }),
    record(6, { username: 'fourth', email: 'Sixth@example.com' }),
    record(7, { username: 'sixth@example.com', email: '' }),
    record(8, { username: 'fifth', email: 'not an address' }),
  ]
  const progress: [number, number][] = []
  const report = await importDjangoUsers(db, records, { batchSize: 3, onProgress: (done, total) => progress.push([done, total]) })
  t.same(progress, [[3, 8], [6, 8], [8, 8]], 'progress after every batch')
  t.equal(report.created, 6)
  t.equal(report.skipped, 2)
  t.same(report.takenIds, ['pk 1 (clash)'], 'pk 1 is the registered user: reported, not overwritten')
  t.same(report.takenUsernames, ['Registered'], "a username that is another account's login name")
  t.same(report.withoutEmail, ['second', 'third', 'fourth'], 'emails another account logs in with are dropped')
  t.same(report.badEmails, ['fifth'], 'an email the API would refuse is dropped')
  const emails = await db.selectFrom('users').select(['id', 'username', 'email']).orderBy('id').execute()
  t.same(emails, [
    { id: registered.id, username: 'registered', email: 'registered@example.com' },
    { id: 3, username: 'first', email: 'Shared@example.com' },
    { id: 4, username: 'second', email: null },
    { id: 5, username: 'third', email: null },
    { id: 6, username: 'fourth', email: null },
    { id: 7, username: 'sixth@example.com', email: null },
    { id: 8, username: 'fifth', email: null },
  ])
  const again = await importDjangoUsers(db, records)
  t.equal(again.created, 0)
  t.equal(again.skipped, 8, 'a second run skips everyone')
  const next = await signUp(testApp, 'latecomer')
  t.equal(next.id, 9, 'the id sequence moved past the imported ids')
})

t.test('parseDump and parseDjangoDate', async (t) => {
  t.same(parseDump('[]'), [])
  t.throws(() => parseDump('{}'), /expected a JSON array/)
  t.throws(() => parseDump('[1,'), /not JSON/)
  t.equal(parseDjangoDate('2024-01-02T03:04:05Z')?.toISOString(), '2024-01-02T03:04:05.000Z')
  t.equal(parseDjangoDate('2024-01-02T03:04:05.123456+0530')?.toISOString(), '2024-01-01T21:34:05.123Z')
  t.equal(parseDjangoDate('2024-01-02T03:04')?.toISOString(), '2024-01-02T03:04:00.000Z')
  for (const bad of ['2024-13-01T00:00:00Z', '2023-02-29T00:00:00Z', '2024-01-01T24:00:00Z', 'yesterday', 42, null]) {
    t.equal(parseDjangoDate(bad), undefined, String(bad))
  }
})
