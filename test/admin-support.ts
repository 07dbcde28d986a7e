import type { Db } from '../src/db/create-db.js'
import { bearer, signUp, type Account, type TestApp } from './helper.js'

export const ADMIN_TOKEN = 'admin-token-one-0123456789abcdef0123456789'
export const NEXT_ADMIN_TOKEN = 'admin-token-two-0123456789abcdef0123456789'
export const adminEnv = { ADMIN_TOKENS: `${ADMIN_TOKEN},${NEXT_ADMIN_TOKEN}`, REVOCATION_FEED_TOKENS: 'feed-token-0123456789abcdef' }

/** A new user made staff (in the database; their token's claim is not what counts). */
export async function signUpStaff(app: TestApp): Promise<Account> {
  const account = await signUp(app)
  await makeStaff(app.db, account.id)
  return account
}

export async function makeStaff(db: Db, id: number, staff = true): Promise<void> {
  await db.updateTable('users').set({ is_staff: staff }).where('id', '=', id).execute()
}

/** A request to the admin API with a credential (an ADMIN_TOKENS entry or an access token). */
export function admin(app: TestApp, method: string, url: string, credential: string = ADMIN_TOKEN) {
  return app.call({ method, url: `/v1/admin${url}`, headers: bearer(credential) })
}

export const feed = (app: TestApp) =>
  app.call({ method: 'GET', url: '/v1/auth/revocations', headers: bearer(adminEnv.REVOCATION_FEED_TOKENS) })

/** Whether the feed lists the session, within `ms` (the feed follows the table, a sync after the commit). */
export async function feedLists(app: TestApp, sid: string, ms = 10_000): Promise<boolean> {
  const until = Date.now() + ms
  for (;;) {
    const res = await feed(app)
    if (res.statusCode === 200 && res.json().revocations.some((entry: { sid: string }) => entry.sid === sid)) return true
    if (Date.now() > until) return false
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

export const sidOf = (access: string): string => JSON.parse(Buffer.from(access.split('.')[1]!, 'base64url').toString()).sid
