import t from 'tap'
import { bearer, build, countingDb, fileDb, me, signUp, TestClock } from './helper.js'


t.test('a burst of GET /me costs one query per user per USER_CACHE_TTL', async (t) => {
  const counted = await countingDb()
  const clock = new TestClock()
  const app = await build(t, { db: counted.db, clock, env: { DENYLIST_SYNC_INTERVAL: '1h', USER_CACHE_TTL: '300ms' } })
  const user = await signUp(app)
  counted.reset()
  for (let i = 0; i < 20; i++) t.equal((await me(app, user.access)).statusCode, 200)
  t.equal(counted.queries(), 1, 'one query for twenty reads')
  clock.advance(299)
  await me(app, user.access)
  t.equal(counted.queries(), 1, 'still from memory just inside the TTL')
  clock.advance(1)
  await me(app, user.access)
  t.equal(counted.queries(), 2, 'read again once the entry is older than the TTL')
})

t.test('writes through an instance show at once; writes elsewhere within the TTL', async (t) => {
  const { db } = await fileDb()
  const env = { USER_CACHE_TTL: '300ms' }
  const clock = new TestClock()
  const first = await build(t, { db, env, clock })
  const second = await build(t, { db, env, clock })
  const user = await signUp(first)
  t.equal((await me(first, user.access)).json().first_name, '')
  t.equal((await me(second, user.access)).json().first_name, '', 'both instances hold the user now')

  const patched = await first.call({ method: 'PATCH', url: '/v1/auth/me', headers: bearer(user.access), payload: { first_name: 'Ada' } })
  t.equal(patched.json().first_name, 'Ada')
  t.equal((await me(first, user.access)).json().first_name, 'Ada', 'the writing instance shows it at once')
  t.equal((await me(second, user.access)).json().first_name, '', 'the other instance answers from memory within the TTL')
  clock.advance(300)
  t.equal((await me(second, user.access)).json().first_name, 'Ada', 'the other instance within the TTL')

  await db.updateTable('users').set({ is_active: false }).where('id', '=', user.id).execute()
  clock.advance(300)
  const gone = await me(first, user.access)
  t.equal(gone.statusCode, 401, 'a deactivation made in SQL shows within the TTL')
  t.equal(gone.json().code, 'token_invalid')
})

t.test('USER_CACHE_TTL=0 reads the database every time', async (t) => {
  const { db } = await fileDb()
  const app = await build(t, { db, env: { USER_CACHE_TTL: '0' } })
  const user = await signUp(app)
  t.equal((await me(app, user.access)).statusCode, 200)
  await db.updateTable('users').set({ last_name: 'Lovelace' }).where('id', '=', user.id).execute()
  t.equal((await me(app, user.access)).json().last_name, 'Lovelace')
})
