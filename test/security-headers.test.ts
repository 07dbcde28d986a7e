import { existsSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { build, signUp } from './helper.js'

const chromiumPath = '/usr/bin/chromium'

const everywhere = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
}

t.test('every response carries the security headers, errors and unknown routes included', async (t) => {
  const app = await build(t)
  const user = await signUp(app)
  const requests = [
    { method: 'GET', url: '/healthz' },
    { method: 'GET', url: '/openapi.yaml' },
    { method: 'GET', url: '/v1/auth/me', headers: { authorization: `Bearer ${user.access}` } },
    { method: 'GET', url: '/v1/auth/me' },
    { method: 'POST', url: '/v1/auth/login', payload: { username: 'x' } },
    { method: 'GET', url: '/no/such/route' },
    { method: 'GET', url: '/docs' },
    { method: 'GET', url: '/docs/assets/swagger-ui.css' },
  ]
  for (const request of requests) {
    const res = await app.call(request)
    const what = `${request.method} ${request.url} → ${res.statusCode}`
    t.match(res.headers, everywhere, what)
    t.match(res.headers['content-security-policy'], /frame-ancestors 'none'/, `${what}: frame-ancestors`)
    t.notOk(res.headers['strict-transport-security'], `${what}: no HSTS over plain HTTP`)
    if (request.url.startsWith('/v1/')) t.equal(res.headers['cache-control'], 'no-store', `${what}: no-store`)
    if (!request.url.startsWith('/docs')) t.match(res.headers['content-security-policy'], /^default-src 'none';/, `${what}: loads nothing`)
  }
  const docs = (await app.call({ method: 'GET', url: '/docs' })).headers['content-security-policy']
  t.match(docs, "script-src 'self'")
  t.match(docs, "style-src 'self';", 'Swagger UI sets its styles through the DOM, which style-src allows: no inline styles needed')
  t.match(docs, "connect-src 'self';", "the spec's server is relative (/): Try it out calls this origin")
  t.notMatch(docs, /unsafe/, "no 'unsafe-inline' or 'unsafe-eval' anywhere")
})

t.test('HSTS when HTTPS is in use: PUBLIC_URL is https, or a trusted proxy says the request came over HTTPS', async (t) => {
  const https = await build(t, { env: { PUBLIC_URL: 'https://auth.example.com' } })
  const res = await https.call({ method: 'GET', url: '/healthz' })
  t.equal(res.headers['strict-transport-security'], 'max-age=31536000')
  t.match(
    (await https.call({ method: 'GET', url: '/docs' })).headers['content-security-policy'],
    "connect-src 'self' https://auth.example.com;",
  )

  const proxied = await build(t, { env: { TRUST_PROXY: '1' } })
  const overHttps = await proxied.call({ method: 'GET', url: '/healthz', headers: { 'x-forwarded-proto': 'https' } })
  t.equal(overHttps.headers['strict-transport-security'], 'max-age=31536000')
  const overHttp = await proxied.call({ method: 'GET', url: '/healthz', headers: { 'x-forwarded-proto': 'http' } })
  t.notOk(overHttp.headers['strict-transport-security'])

  const untrusted = await build(t)
  const claimed = await untrusted.call({ method: 'GET', url: '/healthz', headers: { 'x-forwarded-proto': 'https' } })
  t.notOk(claimed.headers['strict-transport-security'], 'a client cannot claim HTTPS without a trusted proxy')
})

t.test('/docs renders in a real Chromium under its CSP, and "Try it out" reaches the service', { skip: !existsSync(chromiumPath) && 'no Chromium' }, async (t) => {
  const { chromium } = await import('playwright-core')
  const app = await build(t)
  await app.app.listen({ host: '127.0.0.1', port: 0 })
  const origin = `http://127.0.0.1:${(app.app.server.address() as AddressInfo).port}`
  const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] })
  t.teardown(() => browser.close())
  const page = await browser.newPage()
  const violations: string[] = []
  const consoleErrors: string[] = []
  await page.exposeFunction('reportViolation', (text: string) => violations.push(text))
  await page.addInitScript({
    content: "document.addEventListener('securitypolicyviolation', (e) => window.reportViolation(e.violatedDirective + ' ' + e.blockedURI))",
  })
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text())
  })
  // On a port of its own, not npm start's 3000: the spec's server is relative,
  // so "Try it out" calls wherever the page was loaded from. Through /docs/,
  // which redirects to /docs.
  const loaded = await page.goto(`${origin}/docs/`)
  t.equal(new URL(loaded!.url()).pathname, '/docs', '/docs/ leads to /docs')
  await page.locator('.opblock').first().waitFor({ timeout: 60_000 })
  t.ok((await page.locator('.opblock').count()) >= 10, 'the operations of openapi.yaml are listed')
  t.ok(await page.locator('.info .title').textContent().then((title) => title?.includes('keyturn')), 'the title from the spec')

  const health = page.locator('.opblock-get', { hasText: '/healthz' }).first()
  await health.locator('.opblock-summary').click()
  await health.getByRole('button', { name: 'Try it out' }).click()
  await health.getByRole('button', { name: 'Execute' }).click()
  const status = health.locator('.live-responses-table tbody .response-col_status').first()
  await status.waitFor({ timeout: 60_000 })
  if ((await status.textContent())?.trim() !== '200') await page.screenshot({ path: '/tmp/keyturn-docs.png', fullPage: true })
  t.equal((await status.textContent())?.trim(), '200', 'Try it out fetched /healthz and shows its answer')
  t.match(await health.locator('.live-responses-table .microlight').first().textContent(), /"status": "ok"/)

  // More of the page: a schema expanded, the Authorize dialog opened.
  const model = page.locator('section.models article', { hasText: 'LoginRequest' }).first()
  await model.locator('.json-schema-2020-12-expand-deep-button').first().click()
  await model.getByText('password', { exact: true }).first().waitFor()
  await page.getByRole('button', { name: 'Authorize' }).first().click()
  await page.locator('.modal-ux').waitFor()

  t.same(violations, [], 'nothing on the page broke the CSP')
  t.same(consoleErrors.filter((text) => /Content Security Policy|Refused/.test(text)), [], 'no CSP errors in the console')
})
