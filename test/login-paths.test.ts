import { randomBytes } from 'node:crypto'
import t from 'tap'
import { build, countingDb, login, PASSWORD, signUp, TestClock, uniqueName, type TestApp } from './helper.js'
import { watchedHasher } from './watched-argon2.js'

// Every refused login must cost the same, whatever made it fail: the same
// argon2 work at the same parameters, the same database statements, the same
// wait. Counted, not timed: through the real hasher (watched) and the clock.

const slowdown = { LOGIN_SLOWDOWN_AFTER: '2', LOGIN_SLOWDOWN_MAX: '5s' }
const ada = 'pbkdf2_sha256$260000$s2Du2mUDABB09TIbklX5aI$FZEJzuXDtGV1tXJIfkIWPlQYsNvwDMVBy6ZbeRk9wHI='

/** A login that fails for its own reason; each gets a name of its own. */
interface Path {
  name: string
  attempt: () => { username: string; password: string }
}

async function paths(app: TestApp): Promise<Path[]> {
  const account = async (password?: string, active = true) => {
    const user = await signUp(app)
    const changes = { ...(password === undefined ? {} : { password }), is_active: active }
    await app.db.updateTable('users').set(changes).where('id', '=', user.id).execute()
    return user.username
  }
  const wrong = await account()
  const byEmail = await account()
  const inactive = await account(undefined, false)
  const inactiveWrong = await account(undefined, false)
  const unusable = await account(`!${randomBytes(30).toString('base64url')}`)
  const empty = await account('')
  const unsupported = await account('md5$salt$8d8ba1a4e0ff0bc8d6f84f8e0bb6fb2b')
  const tooCostly = await account(ada.replace('$260000$', '$1500001$'))
  const unknown = uniqueName('nobody')
  return [
    { name: 'unknown name', attempt: () => ({ username: unknown, password: PASSWORD }) },
    { name: 'wrong password', attempt: () => ({ username: wrong, password: 'not the password' }) },
    { name: 'wrong password, by email', attempt: () => ({ username: `${byEmail}@example.com`, password: 'not it' }) },
    { name: 'inactive account, right password', attempt: () => ({ username: inactive, password: PASSWORD }) },
    { name: 'inactive account, wrong password', attempt: () => ({ username: inactiveWrong, password: 'nope' }) },
    { name: "Django's unusable password", attempt: () => ({ username: unusable, password: PASSWORD }) },
    { name: 'empty hash', attempt: () => ({ username: empty, password: PASSWORD }) },
    { name: 'unsupported hash (md5)', attempt: () => ({ username: unsupported, password: PASSWORD }) },
    { name: 'Django hash over the cost caps', attempt: () => ({ username: tooCostly, password: PASSWORD }) },
  ]
}

t.test('every refused login does the same work, slowed or not, whether or not the account exists', async (t) => {
  const clock = new TestClock()
  const hasher = watchedHasher()
  const counted = await countingDb()
  // A long sync interval: the only statements counted are the logins' own.
  const app = await build(t, { env: { ...slowdown, DENYLIST_SYNC_INTERVAL: '1h' }, clock, db: counted.db, passwords: hasher.passwords })
  const cases = await paths(app)

  const costOf = async (path: Path) => {
    hasher.reset()
    counted.reset()
    clock.waits.splice(0)
    const res = await login(app, path.attempt().username, path.attempt().password)
    t.equal(res.json().code, 'invalid_credentials', `${path.name}: refused alike`)
    return { hashing: [...hasher.calls], statements: counted.queries(), waits: [...clock.waits] }
  }

  const fresh = []
  for (const path of cases) fresh.push([path.name, await costOf(path)] as const)
  for (const [name, cost] of fresh) {
    t.same(cost, { hashing: ['verify m=256,t=1,p=1'], statements: fresh[0]![1].statements, waits: [] }, `${name}: one check at the configured cost, no wait`)
  }

  // A second failure under each name reaches LOGIN_SLOWDOWN_AFTER; the third attempt is slowed, account or not.
  for (const path of cases) await costOf(path)
  for (const path of cases) {
    const cost = await costOf(path)
    t.same(cost.hashing, ['verify m=256,t=1,p=1'], `${path.name}: slowed, still one check at the same cost`)
    t.same(cost.waits, [1000], `${path.name}: waits the same first delay`)
  }
})

t.test('a password change and an email change check the password at the cost of a login', async (t) => {
  const clock = new TestClock()
  const hasher = watchedHasher()
  const app = await build(t, { env: slowdown, clock, passwords: hasher.passwords })
  const user = await signUp(app)
  const auth = { authorization: `Bearer ${user.access}` }
  hasher.reset()
  const change = await app.call({
    method: 'POST',
    url: '/v1/auth/password/change',
    headers: auth,
    payload: { old_password: 'wrong', new_password: 'a brand new passphrase' },
  })
  t.equal(change.json().errors[0].code, 'incorrect_password')
  const email = await app.call({
    method: 'PATCH',
    url: '/v1/auth/me',
    headers: auth,
    payload: { email: `${uniqueName()}@example.com`, current_password: 'wrong' },
  })
  t.equal(email.json().errors[0].code, 'incorrect_password')
  t.same(hasher.calls, ['verify m=256,t=1,p=1', 'verify m=256,t=1,p=1'])
  t.equal(clock.waits.length, 0, 'two failures under the username: not slowed yet')
  const third = await login(app, user.username, 'wrong again')
  t.equal(third.statusCode, 401)
  t.same(clock.waits, [1000], 'they counted under the username, as login failures')
})
