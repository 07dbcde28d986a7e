import t from 'tap'
import { admin, adminEnv, feedLists, sidOf, signUpStaff } from './admin-support.js'
import { build, me, refresh, signIn, signUp, verify, type TestApp } from './helper.js'

/** GET /me, asked again while the instance answers 503 (a denylist sync starved by a loaded machine). */
async function meSettled(app: TestApp, access: string, ms = 10_000) {
  const until = Date.now() + ms
  for (;;) {
    const res = await me(app, access)
    if (res.statusCode !== 503 || Date.now() > until) return res
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** Polls until the instance refuses the token on /me (its denylist has heard of the revocation). */
async function refusedBy(app: TestApp, access: string, ms = 10_000): Promise<boolean> {
  const until = Date.now() + ms
  for (;;) {
    if ((await meSettled(app, access)).statusCode === 401) return true
    if (Date.now() > until) return false
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

t.test('a deactivation on one instance: /me, /verify and the feed of a second instance refuse the token', async (t) => {
  const first = await build(t, { env: adminEnv })
  const second = await build(t, { db: first.db, env: adminEnv })
  await signUpStaff(first) // someone else stays staff
  const user = await signUp(first)
  t.equal((await meSettled(second, user.access)).statusCode, 200, 'live on the second instance')
  t.equal((await admin(first, 'POST', `/users/${user.id}/deactivate`)).statusCode, 200)
  t.ok(await refusedBy(second, user.access), 'the second instance refuses it')
  t.equal((await meSettled(second, user.access)).json().code, 'token_revoked')
  t.same((await verify(second, user.access)).json(), { active: false })
  t.ok(await feedLists(second, sidOf(user.access)), "in the second instance's feed")
  t.equal((await refresh(second, user.refresh)).statusCode, 401)
})

t.test('deactivation racing a refresh: whatever the refresh got is dead once the deactivation has committed', async (t) => {
  const app = await build(t, { env: adminEnv })
  await signUpStaff(app)
  const outcomes = new Map<number, number>()
  for (let round = 0; round < 12; round++) {
    const user = await signUp(app)
    const session = await signIn(app, user.username)
    const [refreshed, deactivated] = await Promise.all([refresh(app, session.refresh), admin(app, 'POST', `/users/${user.id}/deactivate`)])
    t.equal(deactivated.statusCode, 200)
    outcomes.set(refreshed.statusCode, (outcomes.get(refreshed.statusCode) ?? 0) + 1)
    if (refreshed.statusCode === 200) {
      const tokens = refreshed.json().tokens
      t.equal((await me(app, tokens.access_token)).statusCode, 401, 'the rotated access token is refused')
      t.same((await verify(app, tokens.access_token)).json(), { active: false })
      t.equal((await refresh(app, tokens.refresh_token)).statusCode, 401, 'and its refresh token fails')
    } else {
      t.equal(refreshed.statusCode, 401, 'or the refresh was refused')
    }
    t.equal((await refresh(app, session.refresh)).statusCode, 401)
  }
  t.comment(`refresh outcomes: ${JSON.stringify([...outcomes])}`)
})
