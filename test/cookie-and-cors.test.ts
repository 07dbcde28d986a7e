// The browser side of the service: CORS for CORS_ORIGINS, the refresh cookie
// and its attributes, and the CSRF checks every request it authenticates must
// pass. Each refused request must change nothing: no rotation, no Set-Cookie.
import type { LightMyRequestResponse as Response } from 'fastify'
import t, { type Test } from 'tap'
import { ConfigError, loadConfig } from '../src/config.js'
import { hashOpaqueToken } from '../src/tokens/opaque-token.js'
import { bearer, build, me, PASSWORD, uniqueName, type TestApp } from './helper.js'

const APP = 'https://app.example.com'
const OTHER = 'https://admin.example.com'
const EVIL = 'https://evil.example.net'
/** What app.inject sends as Host: keyturn's own origin in these tests. */
const OWN = 'http://localhost:80'
const cookieEnv = { REFRESH_COOKIE: 'true', CORS_ORIGINS: `${APP},${OTHER}` }
const NAME = '__Secure-keyturn_refresh'

/** A browser's JSON request from `origin`. */
const fromPage = (origin: string) => ({ origin, 'content-type': 'application/json' })

function setCookieOf(res: Response): string {
  return [res.headers['set-cookie'] ?? []].flat().join('\n')
}

async function signUpWithCookie(app: TestApp) {
  const username = uniqueName('cookie')
  const res = await app.call({ method: 'POST', url: '/v1/auth/register', payload: { username, password: PASSWORD } })
  if (res.statusCode !== 201) throw new Error(res.body)
  const setCookie = setCookieOf(res)
  const value = new RegExp(`${NAME}=([^;]+)`).exec(setCookie)![1]!
  return { username, access: res.json().tokens.access_token as string, cookie: `${NAME}=${value}`, token: value, setCookie }
}

async function isCurrent(app: TestApp, token: string): Promise<boolean> {
  const row = await app.db.selectFrom('refresh_tokens').select('retired_at').where('token_hash', '=', hashOpaqueToken(token)).executeTakeFirst()
  return row !== undefined && row.retired_at === null
}

function refused(t: Test, res: Response, what: string) {
  t.equal(res.statusCode, 403, `${what}: 403`)
  t.equal(res.json().code, 'csrf_failed', `${what}: csrf_failed`)
  t.equal(res.headers['set-cookie'], undefined, `${what}: no Set-Cookie`)
}

t.test('CORS: a preflight from CORS_ORIGINS is answered, with credentials only in cookie mode, and cached', async (t) => {
  for (const [env, credentials] of [
    [cookieEnv, 'true'],
    [{ CORS_ORIGINS: APP }, undefined],
  ] as const) {
    const { app } = await build(t, { env })
    const res = await app.inject({
      method: 'OPTIONS',
      url: '/v1/auth/refresh',
      headers: { origin: APP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    })
    t.equal(res.statusCode, 204)
    t.equal(res.headers['access-control-allow-origin'], APP, 'the exact origin, never *')
    t.equal(res.headers['access-control-allow-credentials'], credentials, `credentials: ${credentials ?? 'absent'}`)
    t.equal(res.headers['access-control-max-age'], '600', 'cached for CORS_MAX_AGE')
    t.match(res.headers['access-control-allow-methods'], /POST/)
    t.match(res.headers['access-control-allow-headers'], /content-type/)
    t.match(res.headers['access-control-allow-headers'], /authorization/)
    t.match(String(res.headers.vary), /Origin/)
  }
})

t.test('CORS: any other origin gets no CORS headers, its preflight a 404', async (t) => {
  const { app } = await build(t, { env: cookieEnv })
  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/v1/auth/refresh',
    headers: { origin: EVIL, 'access-control-request-method': 'POST' },
  })
  t.equal(preflight.statusCode, 404)
  t.equal(preflight.headers['access-control-allow-origin'], undefined)
  t.equal(preflight.headers['access-control-allow-credentials'], undefined)
  const actual = await app.inject({ method: 'GET', url: '/healthz', headers: { origin: EVIL } })
  t.equal(actual.statusCode, 200)
  t.equal(actual.headers['access-control-allow-origin'], undefined, 'the browser hides the answer from that page')
})

t.test('CORS: an allowed page can read what it needs of an answer', async (t) => {
  const app = await build(t, { env: cookieEnv })
  const res = await app.call({ method: 'GET', url: '/v1/auth/me', headers: { origin: APP } })
  t.equal(res.statusCode, 401)
  t.equal(res.headers['access-control-allow-origin'], APP)
  t.match(res.headers['access-control-expose-headers'], /retry-after/)
  t.match(res.headers['access-control-expose-headers'], /www-authenticate/)
})

t.test('without CORS_ORIGINS nothing is cross-origin', async (t) => {
  const { app } = await build(t)
  const preflight = await app.inject({ method: 'OPTIONS', url: '/v1/auth/login', headers: { origin: APP, 'access-control-request-method': 'POST' } })
  t.equal(preflight.statusCode, 404)
  t.equal(preflight.headers['access-control-allow-origin'], undefined)
})

t.test('CORS_ORIGINS takes exact origins only, never *', async (t) => {
  for (const raw of ['*', 'app.example.com', 'https://app.example.com/', 'https://app.example.com/path', 'ftp://app.example.com']) {
    t.throws(() => loadConfig({ CORS_ORIGINS: raw }), ConfigError, raw)
  }
  t.same(loadConfig({ CORS_ORIGINS: 'https://a.example, http://localhost:5173' }).browser.corsOrigins, ['https://a.example', 'http://localhost:5173'])
})

t.test('the refresh cookie: __Secure-, HttpOnly, Secure, SameSite=Strict, on /v1/auth, and never in the body', async (t) => {
  const app = await build(t, { env: cookieEnv })
  const account = await signUpWithCookie(app)
  for (const attribute of ['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/v1/auth', 'Max-Age=604800']) {
    t.match(account.setCookie, attribute)
  }
  t.notMatch(account.setCookie, /Domain=/, 'host-only without REFRESH_COOKIE_DOMAIN')
  const login = await app.call({ method: 'POST', url: '/v1/auth/login', payload: { username: account.username, password: PASSWORD } })
  t.notOk('refresh_token' in login.json().tokens, 'not readable by page scripts')
  t.match(setCookieOf(login), new RegExp(`^${NAME}=[\\w-]{43};`))
})

t.test('cookie attributes follow REFRESH_COOKIE_SAMESITE, REFRESH_COOKIE_DOMAIN, REFRESH_COOKIE_SECURE and PUBLIC_URL', async (t) => {
  const lax = await signUpWithCookie(await build(t, { env: { ...cookieEnv, REFRESH_COOKIE_SAMESITE: 'lax', REFRESH_COOKIE_DOMAIN: '.example.com' } }))
  t.match(lax.setCookie, 'SameSite=Lax')
  t.match(lax.setCookie, 'Domain=example.com')
  const none = await signUpWithCookie(await build(t, { env: { ...cookieEnv, REFRESH_COOKIE_SAMESITE: 'none' } }))
  t.match(none.setCookie, 'SameSite=None')
  t.match(none.setCookie, 'Secure')
  const mounted = await signUpWithCookie(await build(t, { env: { ...cookieEnv, PUBLIC_URL: 'https://example.com/auth' } }))
  t.match(mounted.setCookie, 'Path=/auth/v1/auth', 'under the path keyturn is mounted at')

  const insecure = await build(t, { env: { ...cookieEnv, REFRESH_COOKIE_SECURE: 'false' } })
  const res = await insecure.call({ method: 'POST', url: '/v1/auth/register', payload: { username: uniqueName('dev'), password: PASSWORD } })
  const setCookie = setCookieOf(res)
  t.match(setCookie, /^keyturn_refresh=/, 'no __Secure- prefix without Secure (browsers would drop it)')
  t.notMatch(setCookie, /Secure/)

  t.throws(() => loadConfig({ ...cookieEnv, REFRESH_COOKIE_SECURE: 'false', REFRESH_COOKIE_SAMESITE: 'none' }), /SameSite=None without Secure/)
  t.throws(
    () => loadConfig({ ...cookieEnv, REFRESH_COOKIE_SECURE: 'false', NODE_ENV: 'production', MAIL_TRANSPORT: 'log', PASSWORD_RESET_URL: 'https://a.example/r#token={token}' }),
    /REFRESH_COOKIE_SECURE must not be false when NODE_ENV=production/,
  )
  t.throws(() => loadConfig({ REFRESH_COOKIE_SAMESITE: 'sometimes' }), /REFRESH_COOKIE_SAMESITE/)
  t.throws(() => loadConfig({ REFRESH_COOKIE_DOMAIN: 'https://example.com' }), /REFRESH_COOKIE_DOMAIN/)
})

t.test('a refresh by the cookie from an allowed page rotates it; from its own origin too', async (t) => {
  const app = await build(t, { env: cookieEnv })
  for (const origin of [APP, OTHER, OWN]) {
    const account = await signUpWithCookie(app)
    const res = await app.call({ method: 'POST', url: '/v1/auth/refresh', headers: { ...fromPage(origin), cookie: account.cookie }, payload: {} })
    t.equal(res.statusCode, 200, `from ${origin}`)
    t.notOk('refresh_token' in res.json().tokens)
    t.match(setCookieOf(res), new RegExp(`^${NAME}=`), 'the cookie rotates')
    t.notOk(await isCurrent(app, account.token), 'the old token is retired')
    const bodyless = await app.call({ method: 'POST', url: '/v1/auth/refresh', headers: { origin, 'content-type': 'application/json', cookie: setCookieOf(res).split(';')[0]! } })
    t.equal(bodyless.statusCode, 200, 'Content-Type: application/json with no body will do')
  }
})

t.test('every CSRF rule refuses, and nothing changes', async (t) => {
  const app = await build(t, { env: cookieEnv })
  const account = await signUpWithCookie(app)
  const attempts: [what: string, headers: Record<string, string>, payload?: string][] = [
    ['a foreign Origin', { ...fromPage(EVIL) }],
    ['a sibling subdomain not in CORS_ORIGINS', { ...fromPage('https://blog.example.com'), 'sec-fetch-site': 'same-site' }],
    ['Origin: null (a sandboxed frame)', { ...fromPage('null') }],
    ['no Origin, a foreign Referer', { 'content-type': 'application/json', referer: `${EVIL}/page` }],
    ['no Origin and no Referer', { 'content-type': 'application/json' }],
    ['Sec-Fetch-Site: cross-site, even with an allowed Origin', { ...fromPage(APP), 'sec-fetch-site': 'cross-site' }],
    ['a text/plain body (a CORS simple request)', { origin: APP, 'content-type': 'text/plain' }, 'x'],
    ['a form POST', { origin: APP, 'content-type': 'application/x-www-form-urlencoded' }, 'a=b'],
    ['a multipart form POST', { origin: APP, 'content-type': 'multipart/form-data; boundary=x' }, '--x--'],
    ['no body and no content type', { origin: APP }],
  ]
  for (const [what, headers, payload] of attempts) {
    for (const url of ['/v1/auth/refresh', '/v1/auth/logout']) {
      const res = await app.call({ method: 'POST', url, headers: { ...headers, cookie: account.cookie }, ...(payload === undefined ? {} : { payload }) })
      refused(t, res, `${url}, ${what}`)
    }
  }
  t.ok(await isCurrent(app, account.token), 'the refresh token was never rotated')
  t.equal((await me(app, account.access)).statusCode, 200, 'and the session is intact')
  const allowedReferer = await app.call({
    method: 'POST',
    url: '/v1/auth/refresh',
    headers: { 'content-type': 'application/json', referer: `${APP}/settings?x=1`, cookie: account.cookie },
  })
  t.equal(allowedReferer.statusCode, 200, 'an allowed Referer stands in for a missing Origin')
})

t.test('with SameSite=None, a page of CORS_ORIGINS on another site may use the cookie; no other', async (t) => {
  const app = await build(t, { env: { ...cookieEnv, REFRESH_COOKIE_SAMESITE: 'none' } })
  const account = await signUpWithCookie(app)
  const foreign = await app.call({
    method: 'POST',
    url: '/v1/auth/refresh',
    headers: { ...fromPage(EVIL), 'sec-fetch-site': 'cross-site', cookie: account.cookie },
    payload: {},
  })
  refused(t, foreign, 'a cross-site page not in CORS_ORIGINS')
  const listed = await app.call({
    method: 'POST',
    url: '/v1/auth/refresh',
    headers: { ...fromPage(APP), 'sec-fetch-site': 'cross-site', cookie: account.cookie },
    payload: {},
  })
  t.equal(listed.statusCode, 200, 'a cross-site page in CORS_ORIGINS')
})

t.test('the cookie signs out by itself: its session ends and the cookie is cleared; scope still works', async (t) => {
  const app = await build(t, { env: cookieEnv })
  const account = await signUpWithCookie(app)
  const other = await app.call({ method: 'POST', url: '/v1/auth/login', payload: { username: account.username, password: PASSWORD } })
  const otherAccess = other.json().tokens.access_token as string

  const out = await app.call({ method: 'POST', url: '/v1/auth/logout', headers: { ...fromPage(APP), cookie: account.cookie }, payload: {} })
  t.equal(out.statusCode, 204)
  t.match(setCookieOf(out), new RegExp(`${NAME}=;.*Expires=Thu, 01 Jan 1970`), 'the cookie is cleared')
  t.equal((await me(app, account.access)).json().code, 'token_revoked', "the cookie's session ended")
  t.equal((await me(app, otherAccess)).statusCode, 200, 'the other session did not')
  const again = await app.call({ method: 'POST', url: '/v1/auth/refresh', headers: { ...fromPage(APP), cookie: account.cookie }, payload: {} })
  t.equal(again.json().code, 'token_revoked')
  t.match(setCookieOf(again), new RegExp(`${NAME}=;`), 'a dead cookie is cleared')

  const second = await signUpWithCookie(app)
  await app.call({ method: 'POST', url: '/v1/auth/login', payload: { username: second.username, password: PASSWORD } })
  const all = await app.call({ method: 'POST', url: '/v1/auth/logout', headers: { ...fromPage(APP), cookie: second.cookie }, payload: { scope: 'all' } })
  t.equal(all.statusCode, 204)
  const sessions = await app.db.selectFrom('sessions').innerJoin('users', 'users.id', 'sessions.user_id').select('sessions.revoked_at').where('users.username', '=', second.username).execute()
  t.ok(sessions.length === 2 && sessions.every((session) => session.revoked_at !== null), 'scope all ended both sessions')
})

t.test('a logout with the access token needs no CSRF checks: the Bearer token is no ambient credential', async (t) => {
  const app = await build(t, { env: cookieEnv })
  const account = await signUpWithCookie(app)
  const out = await app.call({ method: 'POST', url: '/v1/auth/logout', headers: { ...bearer(account.access), cookie: account.cookie } })
  t.equal(out.statusCode, 204)
  t.match(setCookieOf(out), new RegExp(`${NAME}=;`), 'and clears the cookie')
})

t.test('a cookie from before the __Secure- prefix still works, so an upgrade logs nobody out', async (t) => {
  const app = await build(t, { env: cookieEnv })
  const account = await signUpWithCookie(app)
  const res = await app.call({ method: 'POST', url: '/v1/auth/refresh', headers: { ...fromPage(APP), cookie: `keyturn_refresh=${account.token}` }, payload: {} })
  t.equal(res.statusCode, 200)
})
