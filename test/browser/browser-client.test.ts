// @keyturn/browser in real Chromium against real keyturn processes: the example
// page on an origin of its own, through CORS, once keyturn sends it; until
// then behind a same-origin proxy, which today's keyturn serves.
import type { Browser, BrowserContext } from 'playwright-core'
import t, { type Test } from 'tap'
import { accessTokenOf, eventCount, inPage, openPage, registerThroughForm, waitForEvent } from './page-driver.js'
import {
  buildBrowserPackage,
  corsAllows,
  freePorts,
  launchChromium,
  otherSiteHost,
  startKeyturn,
  startPageServer,
  type Keyturn,
} from './support.js'

/**
 * The one wait on real time is for a token to expire; the tabs' own refresh
 * timers run on a clock the tests move. Long enough for a loaded machine to
 * use a fresh token before it expires.
 */
const accessTokenTtlMs = 6000
const ACCESS_TOKEN_TTL = `${accessTokenTtlMs / 1000}s`

interface Site {
  name: string
  mode: 'body' | 'cookie'
  keyturn: Keyturn
  /** The URL the page reaches keyturn at (its own origin behind the proxy, or keyturn's). */
  keyturnUrl: string
  page: string
  /** Why the site's tests cannot run yet, or false. */
  skip: string | false
  /** The shared-session flow only: the rest runs on the mode's other page. */
  sessionOnly: boolean
}

const [pagePort, bodyProxyPort, cookieProxyPort, attackerPort] = await freePorts(4)
const pageOrigin = `http://127.0.0.1:${pagePort}`
const bodyProxyOrigin = `http://127.0.0.1:${bodyProxyPort}`
const cookieProxyOrigin = `http://127.0.0.1:${cookieProxyPort}`

const [, bodyKeyturn, cookieKeyturn, browser] = await Promise.all([
  // Built before the page servers start: they resolve the package's dist/.
  buildBrowserPackage(),
  // Only the cross-origin page: behind the proxy the page is on keyturn's own origin (the proxy keeps the Host).
  startKeyturn(t, { ACCESS_TOKEN_TTL, CORS_ORIGINS: pageOrigin }),
  startKeyturn(t, {
    ACCESS_TOKEN_TTL,
    REFRESH_COOKIE: 'true',
    // Plain http on 127.0.0.1 in tests; Chromium stores Secure cookies from 127.0.0.1 too.
    REFRESH_COOKIE_SECURE: 'false',
    CORS_ORIGINS: pageOrigin,
  }),
  launchChromium(t),
])
await Promise.all([
  startPageServer(t, { port: pagePort }),
  startPageServer(t, { port: bodyProxyPort, proxyTo: bodyKeyturn.url }),
  startPageServer(t, { port: cookieProxyPort, proxyTo: cookieKeyturn.url }),
  startPageServer(t, { port: attackerPort }),
])

const noCors = (what: string) => `needs server CORS (lead): keyturn's preflight does not allow ${pageOrigin}${what}`
const corsForBody = await corsAllows(bodyKeyturn.url, pageOrigin)
const corsForCookie = await corsAllows(cookieKeyturn.url, pageOrigin, { credentials: true })
/**
 * Each mode's tests run on the cross-origin page once keyturn sends CORS, on
 * the same-origin page until then. Behind the proxy, cookie mode still runs
 * the shared-session flow: there keyturn's CSRF check must take its own
 * origin, not CORS_ORIGINS. (The client's code is the same either way; one
 * full pass per mode keeps the file within its time.)
 */
const crossOriginOnly = 'covered by the cross-origin page now that keyturn sends CORS'
const pageUrl = (origin: string, keyturnUrl: string, mode: string) => `${origin}/?keyturn=${encodeURIComponent(keyturnUrl)}&mode=${mode}`
const sites: Site[] = [
  {
    name: 'same origin, body mode',
    mode: 'body',
    keyturn: bodyKeyturn,
    keyturnUrl: bodyProxyOrigin,
    page: pageUrl(bodyProxyOrigin, bodyProxyOrigin, 'body'),
    skip: corsForBody ? crossOriginOnly : false,
    sessionOnly: false,
  },
  {
    name: 'same origin, cookie mode',
    mode: 'cookie',
    keyturn: cookieKeyturn,
    keyturnUrl: cookieProxyOrigin,
    page: pageUrl(cookieProxyOrigin, cookieProxyOrigin, 'cookie'),
    skip: false,
    sessionOnly: corsForCookie,
  },
  {
    name: 'cross origin, body mode',
    mode: 'body',
    keyturn: bodyKeyturn,
    keyturnUrl: bodyKeyturn.url,
    page: pageUrl(pageOrigin, bodyKeyturn.url, 'body'),
    skip: corsForBody ? false : noCors(''),
    sessionOnly: false,
  },
  {
    name: 'cross origin, cookie mode',
    mode: 'cookie',
    keyturn: cookieKeyturn,
    keyturnUrl: cookieKeyturn.url,
    page: pageUrl(pageOrigin, cookieKeyturn.url, 'cookie'),
    skip: corsForCookie ? false : noCors(' with credentials'),
    sessionOnly: false,
  },
]

/** A fresh context (cookies, storage, tabs of its own), closed when the test ends. */
async function freshContext(t: Test, browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext()
  t.teardown(() => context.close())
  return context
}

/**
 * Gives the context's pages a clock that stands still until the test moves it
 * (a minute ahead of real time, so the jump to it fires nothing: no page is open yet).
 */
async function stopClock(context: BrowserContext): Promise<void> {
  await context.clock.install()
  await context.clock.pauseAt(Date.now() + 60_000)
}

/** keyturn's answer to GET /me with this token: the status and the problem code. */
async function meWith(keyturn: Keyturn, token: string): Promise<{ status: number; code?: string }> {
  const response = await fetch(`${keyturn.url}/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } })
  const body = (await response.json()) as { code?: string }
  return { status: response.status, code: body.code }
}

/** The refresh requests keyturn answered after the first `before` of them. */
async function refreshesSince(keyturn: Keyturn, before: number) {
  await keyturn.settled()
  return keyturn.refreshes().slice(before)
}

async function refreshCount(keyturn: Keyturn): Promise<number> {
  await keyturn.settled()
  return keyturn.refreshes().length
}

/** Polls keyturn until it refuses `token` as expired (the wait a token's lifetime takes, bounded). */
async function untilExpired(keyturn: Keyturn, token: string): Promise<void> {
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline) {
    const answer = await meWith(keyturn, token)
    if (answer.status === 401 && answer.code === 'token_expired') return
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error('the access token did not expire in time')
}

// The two keyturns' tests run side by side; each keyturn's own in turn, so its request counts are theirs.
t.jobs = 2
for (const mode of ['body', 'cookie'] as const) {
  t.test(`${mode} mode`, { buffered: true }, async (t) => {
    for (const site of sites.filter((site) => site.mode === mode)) {
      t.test(site.name, { skip: site.skip }, async (t) => siteTests(t, site))
    }
  })
}

function siteTests(t: Test, site: Site): void {
  t.test('one session in two tabs: handed over, refreshed once for both, ended for both', async (t) => {
    const context = await freshContext(t, browser)
    const start = site.keyturn.requests().length
    // The tabs' clock is the test's: their timers fire when it moves on, both at the same moment.
    await stopClock(context)
    const tabA = await openPage(context, site.page)
    const { username } = await registerThroughForm(tabA)
    t.equal((await inPage<{ username: string }>(tabA, 'auth.me()')).username, username, '/me through the client')

    const before = await refreshCount(site.keyturn)
    const tabB = await openPage(context, site.page)
    t.equal(await tabB.textContent('#status'), `Signed in as ${username}`, 'a new tab is signed in at once')
    t.equal(await accessTokenOf(tabB), await accessTokenOf(tabA), 'with the same access token')
    t.equal(await refreshCount(site.keyturn), before, 'handed over by the first tab, without asking keyturn')

    // Both tabs have the refresh due at the same moment (half the token's life): wake them there together.
    const [eventsA, eventsB] = [await eventCount(tabA), await eventCount(tabB)]
    const first = await accessTokenOf(tabA)
    await context.clock.fastForward(accessTokenTtlMs / 2 + 500)
    await Promise.all([
      waitForEvent(tabA, `e.type === 'refreshed'`, eventsA),
      waitForEvent(tabB, `e.type === 'refreshed'`, eventsB),
    ])
    t.same((await refreshesSince(site.keyturn, before)).map((r) => r.status), [200], 'exactly one refresh request reached keyturn')
    t.not(await accessTokenOf(tabA), first, 'a new access token')
    t.equal(await accessTokenOf(tabB), await accessTokenOf(tabA), 'both tabs hold it')
    const sources = await Promise.all([tabA, tabB].map((tab) => inPage<string>(tab, 'authEvents.at(-1).source')))
    t.same(sources.sort(), ['other-tab', 'this-tab'], 'one tab refreshed, the other was told')
    for (const tab of [tabA, tabB]) {
      t.equal(await inPage(tab, 'auth.me().then((user) => user.username)'), username, 'both keep working')
    }

    const afterRefresh = await refreshCount(site.keyturn)
    await tabB.reload()
    await tabB.waitForSelector('body[data-ready="true"]')
    t.equal(await tabB.textContent('#status'), `Signed in as ${username}`, 'a reloaded tab gets the session back from the other')
    t.equal(await refreshCount(site.keyturn), afterRefresh, 'again without a refresh')

    // A fresh token (both tabs get it), so that only the logout can make keyturn refuse it.
    const beforeFresh = await eventCount(tabB)
    await inPage(tabA, 'auth.refresh()')
    await waitForEvent(tabB, `e.type === 'refreshed' && e.source === 'other-tab'`, beforeFresh)
    const tokenB = (await accessTokenOf(tabB))!
    const signedOut = waitForEvent(tabB, `e.type === 'signed-out' && e.source === 'other-tab' && e.reason === 'logout'`, await eventCount(tabB))
    await tabA.click('#logout')
    await signedOut
    t.equal(await tabB.textContent('#status'), 'Signed out', 'logout in one tab signs the other out')
    t.same(await meWith(site.keyturn, tokenB), { status: 401, code: 'token_revoked' }, "keyturn refuses the other tab's old token")
    t.equal(await inPage(tabB, `auth.me().then(() => 'ok', (e) => e.code)`), 'not_signed_in')
    // Both tabs are signed out, so no refresh is due: let time flow, for the reloaded tab's question
    // to the other tab (signed out, it does not answer) to time out.
    await context.clock.resume()
    await tabB.reload()
    await tabB.waitForSelector('body[data-ready="true"]')
    t.equal(await inPage(tabB, 'auth.signedIn'), false, 'a reload does not bring the session back')
    const refused = site.keyturn.requests().slice(start).filter((r) => r.path === '/v1/auth/refresh' && r.method === 'POST' && r.status === 401)
    t.equal(refused.length, 0, 'no refresh was refused (no token was presented twice)')
  })

  if (site.sessionOnly) return

  t.test('a tab whose clock stood still meets token_expired, refreshes once and retries', async (t) => {
    const context = await freshContext(t, browser)
    // The page's timers do not fire: its scheduled refresh never comes, as in a sleeping laptop.
    await stopClock(context)
    const page = await openPage(context, site.page)
    const { username } = await registerThroughForm(page)
    const stale = (await accessTokenOf(page))!
    await untilExpired(site.keyturn, stale)

    const before = await refreshCount(site.keyturn)
    t.equal((await inPage<{ username: string }>(page, 'auth.me()')).username, username, '/me answered after the refresh')
    t.not(await accessTokenOf(page), stale)
    t.same((await refreshesSince(site.keyturn, before)).map((r) => r.status), [200], 'exactly one refresh')
    const meCalls = site.keyturn.requests().filter((r) => r.path === '/v1/auth/me').slice(-2)
    t.same(meCalls.map((r) => r.status), [401, 200], 'the request was refused once, then sent again')

    // The only tab reloads: what survives is where the refresh token lives.
    const beforeReload = await refreshCount(site.keyturn)
    await page.reload()
    await page.waitForSelector('body[data-ready="true"]')
    t.same(await inPage(page, 'Object.keys(localStorage).concat(Object.keys(sessionStorage))'), [], 'nothing in Web Storage')
    if (site.mode === 'body') {
      t.equal(await page.textContent('#status'), 'Signed out', 'body mode, token in memory: the session went with the page')
    } else {
      t.equal(await page.textContent('#status'), `Signed in as ${username}`, 'cookie mode: restored from the cookie')
      t.same((await refreshesSince(site.keyturn, beforeReload)).map((r) => r.status), [200], 'with one refresh')
    }
  })

  if (site.mode === 'cookie') cookieTests(t, site)
  else storageTest(t, site)
}

function storageTest(t: Test, site: Site): void {
  t.test("storage: 'session' keeps the refresh token across a reload of the tab, and logout removes it", async (t) => {
    const context = await freshContext(t, browser)
    await stopClock(context) // no scheduled refresh: the one counted is the reload's
    const page = await openPage(context, `${site.page}&storage=session`)
    const { username } = await registerThroughForm(page)
    t.same(await inPage(page, 'Object.keys(sessionStorage)'), [`keyturn:${site.keyturnUrl}:refresh-token`])
    t.same(await inPage(page, 'Object.keys(localStorage)'), [])

    const before = await refreshCount(site.keyturn)
    await page.reload()
    await page.waitForSelector('body[data-ready="true"]')
    t.equal(await page.textContent('#status'), `Signed in as ${username}`, 'restored with the stored refresh token')
    t.same((await refreshesSince(site.keyturn, before)).map((r) => r.status), [200])

    await page.click('#logout')
    await page.waitForFunction(`document.querySelector('#status').textContent === 'Signed out'`)
    t.same(await inPage(page, 'Object.keys(sessionStorage)'), [], 'gone from sessionStorage')
  })
}

function cookieTests(t: Test, site: Site): void {
  t.test('the refresh token lives only in an HttpOnly cookie, out of every script’s reach', async (t) => {
    const context = await freshContext(t, browser)
    const page = await openPage(context, site.page)
    const registered = page.waitForResponse((response) => response.url().endsWith('/v1/auth/register'))
    await registerThroughForm(page)
    const body = (await (await registered).json()) as { tokens: Record<string, unknown> }
    t.notOk('refresh_token' in body.tokens, 'not in the response body')

    const cookies = await context.cookies(site.keyturnUrl + '/v1/auth/refresh')
    const refreshCookie = cookies.find((cookie) => cookie.name.endsWith('keyturn_refresh'))
    t.ok(refreshCookie, 'the browser holds the refresh cookie')
    t.equal(refreshCookie?.httpOnly, true, 'HttpOnly')
    t.equal(refreshCookie?.path, '/v1/auth')
    t.notMatch(await inPage<string>(page, 'document.cookie'), 'keyturn_refresh', 'not in the page’s document.cookie')
    t.same(await inPage(page, 'Object.keys(localStorage).concat(Object.keys(sessionStorage))'), [], 'nothing in Web Storage')
    // A page on keyturn's own origin, on a path the cookie is sent to: still not readable.
    const onPath = await context.newPage()
    await onPath.goto(`${site.keyturnUrl}/v1/auth/me`)
    t.notMatch(await inPage<string>(onPath, 'document.cookie'), 'keyturn_refresh', 'nor on /v1/auth of keyturn’s origin')

  })

  t.test('pages on another site and on another origin cannot use the cookie', async (t) => {
    const context = await freshContext(t, browser)
    const victim = await openPage(context, site.page)
    const { username } = await registerThroughForm(victim)
    // Closed, so that every refresh keyturn sees from here on is the attacker's; the cookie stays in the browser.
    await victim.close()
    const before = await refreshCount(site.keyturn)
    const refreshUrl = `${site.keyturnUrl}/v1/auth/refresh`

    for (const [i, attackerOrigin] of [`http://${otherSiteHost}:${attackerPort}`, `http://127.0.0.1:${attackerPort}`].entries()) {
      const attacker = await context.newPage()
      await attacker.goto(`${attackerOrigin}/attack`)
      const viaFetch = await inPage<string>(
        attacker,
        `fetch(${JSON.stringify(refreshUrl)}, { method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json' }, body: '{}' })
          .then((response) => 'answered ' + response.status, (error) => 'refused: ' + error.name)`,
      )
      t.equal(viaFetch, 'refused: TypeError', `${attackerOrigin}: a credentialed JSON fetch is stopped by the preflight`)
      // Sent either way; keyturn's Cross-Origin-Resource-Policy then keeps even
      // the opaque answer from the page (the fetch rejects), which is fine.
      await inPage(
        attacker,
        `fetch(${JSON.stringify(refreshUrl)}, { method: 'POST', mode: 'no-cors', credentials: 'include', body: '{}' }).then(() => 'sent', () => 'sent, answer withheld')`,
      )
      await inPage(
        attacker,
        // Into a hidden frame, as such an attack goes: the page stays, and is not left mid-navigation.
        `(() => {
          const frame = Object.assign(document.createElement('iframe'), { name: 'target', hidden: true })
          const form = Object.assign(document.createElement('form'), { method: 'POST', action: ${JSON.stringify(refreshUrl)}, enctype: 'text/plain', target: 'target' })
          const field = Object.assign(document.createElement('input'), { name: '{"refresh_token":"', value: '"}' })
          form.append(field)
          document.body.append(frame, form)
          form.submit()
          return true
        })()`,
      )
      // Their answers, as keyturn logged them: the page cannot read them.
      const attacks = await site.keyturn.untilRefreshes(before, 2 * (i + 1))
      t.ok(attacks.slice(2 * i).every((r) => r.status! >= 400), `${attackerOrigin}: the no-cors fetch and the form POST are refused`)
      await attacker.close()
    }

    await site.keyturn.settled()
    t.equal(site.keyturn.refreshes().length - before, 4, 'no other refresh reached keyturn')
    const back = await openPage(context, site.page)
    t.equal(await back.textContent('#status'), `Signed in as ${username}`, 'the session is intact: a new tab restores it from the cookie')
    t.equal(await inPage(back, 'auth.me().then((user) => user.username)'), username)
  })
}
