import t from 'tap'
import { foldLoginName } from '../src/db/login-names.js'
import { build, login, PASSWORD, signUp, TestClock, uniqueName, type TestApp } from './helper.js'
import { watchedHasher } from './watched-argon2.js'

const attempt = async (app: TestApp, username: string, password: string) => {
  const started = performance.now()
  const res = await login(app, username, password)
  return { status: res.statusCode, ms: performance.now() - started }
}

const failures = async (app: TestApp, name: string) =>
  (await app.db.selectFrom('login_attempts').select('failures').where('name', '=', foldLoginName(name)).executeTakeFirst())?.failures ?? 0

/** A test clock whose waits hold until released: every attempt can claim its slot before any is checked. */
class HeldClock extends TestClock {
  #release!: () => void
  readonly #released = new Promise<void>((resolve) => (this.#release = resolve))
  /** Called as each wait begins. */
  onWait: (() => void) | undefined
  override async sleep(ms: number): Promise<void> {
    await super.sleep(ms)
    this.onWait?.()
    await this.#released
  }
  release(): void {
    this.#release()
  }
}

t.test('failed logins slow the name down in real time, and the owner still gets in', async (t) => {
  const app = await build(t, { env: { LOGIN_SLOWDOWN_AFTER: '2', LOGIN_SLOWDOWN_MAX: '400ms' } })
  const user = await signUp(app)
  t.equal((await attempt(app, user.username, 'wrong one')).status, 401)
  t.equal((await attempt(app, user.username, 'wrong two')).status, 401)
  t.equal(await failures(app, user.username), 2)

  const slowed = await attempt(app, user.username, 'wrong three')
  t.equal(slowed.status, 401)
  t.ok(slowed.ms >= 380, `the third wrong guess waited (${Math.round(slowed.ms)} ms)`)

  const owner = await attempt(app, user.username.toUpperCase(), PASSWORD)
  t.equal(owner.status, 200, 'the right password is not refused, only slowed')
  t.ok(owner.ms >= 380, `it waited too, under the same folded name (${Math.round(owner.ms)} ms)`)
  t.equal(await failures(app, user.username), 0, 'a success clears the name')
})

for (const kind of ['an account', 'a name without an account']) {
  t.test(`concurrent guesses on ${kind} queue, each behind the one before; past LOGIN_SLOWDOWN_MAX they are refused unchecked`, async (t) => {
    const clock = new HeldClock()
    const hasher = watchedHasher()
    const app = await build(t, { clock, passwords: hasher.passwords, env: { LOGIN_SLOWDOWN_AFTER: '1', LOGIN_SLOWDOWN_MAX: '5s' } })
    const name = kind === 'an account' ? (await signUp(app)).username : uniqueName('nobody')
    t.equal((await attempt(app, name, 'first guess')).status, 401)
    hasher.reset()

    // Eight guesses at once, each 1 s (the first delay) behind the one before:
    // five fit within 5 s, three would queue longer. Nothing is released
    // until all eight have claimed a slot or been refused.
    let refusedSoFar = 0
    let allPlaced!: () => void
    const placed = new Promise<void>((resolve) => (allPlaced = resolve))
    const check = () => clock.waits.length + refusedSoFar >= 8 && allPlaced()
    clock.onWait = check
    const guesses = Array.from({ length: 8 }, (_, i) =>
      login(app, name, `guess ${i}`).then((res) => {
        if (res.statusCode === 429) refusedSoFar++
        check()
        return res
      }),
    )
    await placed
    t.same([...clock.waits].sort((a, b) => a - b), [1000, 2000, 3000, 4000, 5000], 'each waits its own slot')
    t.same(hasher.calls, [], 'nothing is checked before its slot')
    clock.release()
    const answers = await Promise.all(guesses)
    const refused = answers.filter((res) => res.statusCode === 429)
    t.equal(refused.length, 3, 'three are refused')
    for (const res of refused) {
      t.equal(res.json().code, 'rate_limited')
      t.equal(res.headers['retry-after'], '1', 'a slot frees within a second')
    }
    t.equal(answers.filter((res) => res.statusCode === 401).length, 5)
    t.equal(hasher.calls.length, 5, 'only the five that waited were checked')
    t.equal(await failures(app, name), 6)
  })
}

t.test('slowed, never locked: once the queue drains, the owner waits at most LOGIN_SLOWDOWN_MAX and gets in', async (t) => {
  const clock = new TestClock()
  const app = await build(t, { clock, env: { LOGIN_SLOWDOWN_AFTER: '1', LOGIN_SLOWDOWN_MAX: '5s' } })
  const user = await signUp(app)
  // Six failures, each after the slot before has passed: 1 s, 2 s, 4 s... delays.
  for (let i = 0; i < 6; i++) {
    t.equal((await login(app, user.username, 'wrong')).statusCode, 401)
    clock.advance(5000)
  }
  // A guess takes the one slot there is within 5 s (the clock stands still); the owner finds none.
  t.equal((await login(app, user.username, 'wrong')).statusCode, 401)
  const full = await login(app, user.username, PASSWORD)
  t.equal(full.statusCode, 429, 'the queue is full for now')
  t.equal(full.headers['retry-after'], '5')
  clock.advance(5000)
  clock.waits.splice(0)
  t.equal((await login(app, user.username, PASSWORD)).statusCode, 200)
  t.same(clock.waits, [5000], 'after six failures the delay is at its maximum, and no longer')
  clock.waits.splice(0)
  t.equal((await login(app, user.username, 'wrong')).statusCode, 401)
  t.same(clock.waits, [], 'the success cleared the name')
})

t.test('failures are forgotten LOGIN_SLOWDOWN_RESET after the last one', async (t) => {
  const clock = new TestClock()
  const app = await build(t, { clock, env: { LOGIN_SLOWDOWN_AFTER: '2', LOGIN_SLOWDOWN_MAX: '5s', LOGIN_SLOWDOWN_RESET: '10m' } })
  const name = uniqueName('nobody')
  for (let i = 0; i < 4; i++) await login(app, name, 'wrong')
  t.ok(clock.waits.length > 0, 'slowed')
  clock.advance(10 * 60_000 - 1000)
  clock.waits.splice(0)
  await login(app, name, 'wrong')
  t.equal(clock.waits.length, 1, 'still slowed just before the quiet period ends')
  clock.advance(10 * 60_000)
  clock.waits.splice(0)
  await login(app, name, 'wrong')
  await login(app, name, 'wrong')
  t.same(clock.waits, [], 'after it the count starts again from one')
  t.equal(await failures(app, name), 2)
})

t.test('LOGIN_SLOWDOWN_MAX=0 turns the slowdown off', async (t) => {
  const clock = new TestClock()
  const app = await build(t, { clock, env: { LOGIN_SLOWDOWN_AFTER: '1', LOGIN_SLOWDOWN_MAX: '0' } })
  const user = await signUp(app)
  for (let i = 0; i < 4; i++) t.equal((await login(app, user.username, 'wrong')).statusCode, 401)
  t.equal(await failures(app, user.username), 4, 'still counted')
  t.same(clock.waits, [])
  t.equal((await login(app, user.username, PASSWORD)).statusCode, 200)
})
