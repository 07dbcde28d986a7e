import t from 'tap'
import { hasTerminal, keyturn, migratedEnv, onTerminal, openCliDatabase, type Env } from './cli-support.js'
import { build, PASSWORD } from './helper.js'

const createUser = (env: Env, flags: string[], password = `${PASSWORD}\n`) =>
  keyturn(['create-user', ...flags, '--password-stdin'], env, password)

t.test('create-user with flags and --password-stdin; the user can log in', async (t) => {
  const env = await migratedEnv(t)
  const staff = await createUser(env, ['--username', 'Ada', '--email', 'Ada@Example.COM', '--first-name', 'Ada', '--last-name', 'Lovelace', '--staff'])
  t.equal(staff.code, 0, staff.stderr)
  t.match(staff.stdout, /^Created user Ada \(id \d+\)\n$/)
  // A CRLF line ending, as a Windows pipe gives, is not part of the password.
  const plain = await createUser(env, ['--username', 'grace'], `${PASSWORD}\r\nignored second line\n`)
  t.equal(plain.code, 0, plain.stderr)

  const db = await openCliDatabase(t, env)
  const rows = await db.selectFrom('users').selectAll().orderBy('id').execute()
  t.match(rows, [
    { username: 'Ada', email: 'Ada@example.com', first_name: 'Ada', last_name: 'Lovelace', is_staff: true, is_active: true, last_login_at: null },
    { username: 'grace', email: null, first_name: '', last_name: '', is_staff: false },
  ])
  t.match(rows[0]!.password, /^\$argon2id\$/, 'hashed with argon2id')
  t.notOk(rows.some((row) => row.password.includes(PASSWORD)))
  const names = await db.selectFrom('login_names').select(['name', 'kind']).orderBy('name').execute()
  t.same(names, [
    { name: 'ada', kind: 'username' },
    { name: 'ada@example.com', kind: 'email' },
    { name: 'grace', kind: 'username' },
  ])

  const { call } = await build(t, { db })
  for (const [login, isStaff] of [['ada@example.com', true], ['GRACE', false]] as const) {
    const res = await call({ method: 'POST', url: '/v1/auth/login', payload: { username: login, password: PASSWORD } })
    t.equal(res.statusCode, 200, `${login} logs in`)
    t.equal(res.json().user.is_staff, isStaff)
  }
})

t.test('the password: refused when weak or missing, never taken from argv', async (t) => {
  const env = await migratedEnv(t)
  const cases: [string, string][] = [
    ['short1\n', 'password: must be at least 8 characters (password_too_short)'],
    ['password123\n', 'password_too_common'],
    ['weakling\n', 'password_too_similar'],
  ]
  for (const [password, message] of cases) {
    const res = await createUser(env, ['--username', 'weakling'], password)
    t.equal(res.code, 1, password)
    t.match(res.stderr, message)
  }
  const empty = await createUser(env, ['--username', 'weakling'], '\n')
  t.equal(empty.code, 2)
  t.match(empty.stderr, 'stdin has no password')
  const piped = await keyturn(['create-user', '--username', 'weakling'], env, `${PASSWORD}\n`)
  t.equal(piped.code, 2, 'a pipe without --password-stdin')
  t.match(piped.stderr, 'stdin is not a terminal: pipe the password in and pass --password-stdin')
  const argv = await keyturn(['create-user', '--username', 'weakling', '--password', PASSWORD], env)
  t.equal(argv.code, 2)
  t.match(argv.stderr, "Unknown option '--password'")
  const noName = await keyturn(['create-user', '--password-stdin'], env, `${PASSWORD}\n`)
  t.equal(noName.code, 2)
  t.match(noName.stderr, '--password-stdin needs --username')

  const db = await openCliDatabase(t, env)
  t.same(await db.selectFrom('users').select('id').execute(), [], 'no user was created')
})

t.test('a taken username or email, and a username the API would refuse', async (t) => {
  const env = await migratedEnv(t)
  t.equal((await createUser(env, ['--username', 'alice', '--email', 'alice@example.com'])).code, 0)
  const cases: [string[], string][] = [
    [['--username', 'ALICE'], 'That username is already taken (username_taken)'],
    [['--username', 'alice@example.com'], 'username_taken'],
    [['--username', 'bob', '--email', 'Alice@example.com'], 'email_taken'],
    [['--username', 'two words'], 'username: may contain only letters, digits and @ . + - _ (invalid_format)'],
    [['--username', 'x'.repeat(151)], 'must be at most 150 characters'],
    [['--username', 'bob', '--email', 'not-an-address'], 'email: must be an email address'],
  ]
  for (const [flags, message] of cases) {
    const res = await createUser(env, flags)
    t.equal(res.code, 1, flags.join(' '))
    t.match(res.stderr, message)
  }
  // NFKC first, as Django's normalize_username: full-width letters are the plain ones.
  const fullWidth = await createUser(env, ['--username', 'ｂｏｂ'])
  t.match(fullWidth.stdout, /Created user bob \(id \d+\)/)
  const db = await openCliDatabase(t, env)
  t.same((await db.selectFrom('users').select('username').orderBy('id').execute()).map((row) => row.username), ['alice', 'bob'])
})

t.test('--help, and the overview lists the commands', async (t) => {
  const help = await keyturn(['create-user', '--help'], {})
  t.equal(help.code, 0)
  t.match(help.stdout, 'Usage: keyturn create-user [options]')
  t.match(help.stdout, '--password-stdin')
  const overview = await keyturn(['--help'], {})
  t.match(overview.stdout, /create-user +create a user/)
  const stray = await keyturn(['create-user', 'alice'], {})
  t.equal(stray.code, 2)
  t.match(stray.stderr, 'Unexpected argument')
})

t.test('prompts on a terminal: asks again, never echoes the password', { skip: !hasTerminal && 'no script(1) for a pseudo-terminal' }, async (t) => {
  const env = await migratedEnv(t)
  const weak = 'tiny'
  const answers: [string, string][] = [
    ['Username: ', 'two words'],
    ['Username: ', 'carol'],
    ['Email address (optional): ', 'carol@example.com'],
    ['Password: ', weak],
    ['Password (again): ', weak],
    ['Password: ', PASSWORD],
    ['Password (again): ', 'a typo'],
    ['Password: ', PASSWORD],
    ['Password (again): ', PASSWORD],
  ]
  const { code, output } = await onTerminal(['create-user', '--staff'], env, answers)
  t.equal(code, 0, output)
  t.match(output, 'Error: username may contain only letters')
  t.match(output, 'Error: password: must be at least 8 characters (password_too_short).')
  t.match(output, 'Error: the two passwords differ.')
  t.match(output, /Created user carol \(id \d+\)/)
  t.notOk(output.includes(PASSWORD) || output.includes(weak) || output.includes('a typo'), 'no password echoed')

  const db = await openCliDatabase(t, env)
  t.match(await db.selectFrom('users').selectAll().execute(), [{ username: 'carol', email: 'carol@example.com', is_staff: true }])
  const { call } = await build(t, { db })
  const res = await call({ method: 'POST', url: '/v1/auth/login', payload: { username: 'carol', password: PASSWORD } })
  t.equal(res.statusCode, 200)
})
