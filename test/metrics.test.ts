import t from 'tap'
import { bearer, build, login, logout, refresh, signIn, signUp, type TestApp } from './helper.js'
import { freePort } from './processes.js'
import { parsePrometheusText, valueOf, type Family } from './prometheus-text.js'

const METRICS_TOKEN = 'metrics-token-0123456789abcdef0123456789'

/** Scrapes /metrics and parses it strictly (prometheus-text.ts throws on anything the format does not allow). */
async function scrape(app: TestApp): Promise<Map<string, Family>> {
  const res = await app.call({ method: 'GET', url: '/metrics', headers: bearer(METRICS_TOKEN) })
  if (res.statusCode !== 200) throw new Error(`scrape: ${res.statusCode} ${res.body}`)
  if (!String(res.headers['content-type']).startsWith('text/plain; version=0.0.4')) throw new Error(`content type ${res.headers['content-type']}`)
  return parsePrometheusText(res.body)
}

const value = valueOf

t.test('GET /metrics with METRICS_TOKEN: Prometheus text whose counters move with what happens', async (t) => {
  const app = await build(t, { env: { METRICS_TOKEN, REFRESH_REUSE_INTERVAL: '0' } })
  t.equal((await app.call({ method: 'GET', url: '/metrics' })).statusCode, 401)
  t.equal((await app.call({ method: 'GET', url: '/metrics', headers: bearer('not-the-metrics-token-0123456789abcdef') })).statusCode, 401)

  const before = await scrape(app)
  for (const name of [
    'keyturn_http_requests_total',
    'keyturn_http_request_duration_seconds',
    'keyturn_logins_total',
    'keyturn_refreshes_total',
    'keyturn_revocations_total',
    'keyturn_denylist_entries',
    'keyturn_denylist_sync_age_seconds',
    'keyturn_password_hash_duration_seconds',
    'keyturn_db_pool_connections',
    'keyturn_db_pool_idle',
    'keyturn_db_pool_waiting',
    'process_cpu_user_seconds_total',
    'nodejs_heap_size_used_bytes',
  ]) {
    t.ok(before.has(name), `${name} is there`)
  }
  t.ok(value(before, 'keyturn_db_pool_connections') >= 1, 'a connection is open')
  const age = value(before, 'keyturn_denylist_sync_age_seconds')
  t.ok(Number.isFinite(age) && age >= 0, `synced ${age} s ago`)

  const user = await signUp(app)
  await signIn(app, user.username)
  t.equal((await login(app, user.username, 'wrong')).statusCode, 401)
  t.equal((await login(app, 'nobody-at-all')).statusCode, 401)
  const rotated = await refresh(app, user.refresh)
  t.equal(rotated.statusCode, 200)
  t.equal((await refresh(app, user.refresh)).json().code, 'refresh_token_reused')
  t.equal((await refresh(app, 'not-a-refresh-token')).statusCode, 401)
  t.equal((await logout(app, (await signIn(app, user.username)).access)).statusCode, 204)
  // HEAD is implied by GET (the contract checker reads openapi.yaml, which lists GET only).
  t.equal((await app.app.inject({ method: 'HEAD', url: '/healthz' })).statusCode, 200)
  t.equal((await app.call({ method: 'GET', url: '/no/such/path' })).statusCode, 404)

  const after = await scrape(app)
  const moved = (name: string, labels: Record<string, string> = {}) => value(after, name, labels) - value(before, name, labels)
  t.equal(moved('keyturn_logins_total', { outcome: 'ok' }), 2)
  t.equal(moved('keyturn_logins_total', { outcome: 'bad_password' }), 1)
  t.equal(moved('keyturn_logins_total', { outcome: 'unknown_name' }), 1)
  t.equal(moved('keyturn_refreshes_total', { outcome: 'rotated' }), 1)
  t.equal(moved('keyturn_refreshes_total', { outcome: 'reused' }), 1)
  t.equal(moved('keyturn_refreshes_total', { outcome: 'refused' }), 1)
  t.equal(moved('keyturn_revocations_total', { reason: 'refresh_token_reused' }), 1)
  t.equal(moved('keyturn_revocations_total', { reason: 'logout' }), 1)
  t.equal(moved('keyturn_http_requests_total', { operation: 'login', status: '200' }), 2)
  t.equal(moved('keyturn_http_requests_total', { operation: 'login', status: '401' }), 2)
  t.equal(moved('keyturn_http_request_duration_seconds', { operation: 'refreshTokens', status: '401' }), 2, 'the histogram counts too')
  t.equal(moved('keyturn_http_requests_total', { operation: 'getHealth', status: '200' }), 1, 'a HEAD counts once, as its GET operation')
  t.equal(moved('keyturn_http_requests_total', { operation: 'unknown', status: '404' }), 1, 'an unrouted request counts once')
  t.equal(moved('keyturn_password_hash_duration_seconds', { operation: 'verify' }), 4, 'each password check is timed (the unknown name\'s dummy too)')
  t.equal(moved('keyturn_password_hash_duration_seconds', { operation: 'hash' }), 1, 'and the sign-up\'s hash')
  t.ok(value(after, 'keyturn_denylist_entries') >= 2, 'the ended sessions are on the denylist')
  t.ok(moved('keyturn_http_requests_total', { operation: 'getMetrics', status: '200' }) >= 1, 'scrapes count too')
})

t.test('without METRICS_TOKEN or METRICS_PORT, metrics are off', async (t) => {
  const app = await build(t)
  const res = await app.call({ method: 'GET', url: '/metrics', headers: bearer(METRICS_TOKEN) })
  t.equal(res.statusCode, 404)
  t.equal(res.json().code, 'not_found')
})

t.test('METRICS_PORT: a second listener serves the metrics, the service port does not', async (t) => {
  const port = await freePort()
  const app = await build(t, { env: { METRICS_PORT: String(port) } })
  t.equal((await app.call({ method: 'GET', url: '/metrics' })).statusCode, 404)
  await signUp(app)
  const res = await fetch(`http://127.0.0.1:${port}/metrics`)
  t.equal(res.status, 200)
  const families = parsePrometheusText(await res.text())
  t.equal(value(families, 'keyturn_http_requests_total', { operation: 'register', status: '201' }), 1)
  t.equal((await fetch(`http://127.0.0.1:${port}/v1/auth/me`)).status, 404, 'nothing else there')

  const guarded = await freePort()
  const both = await build(t, { env: { METRICS_PORT: String(guarded), METRICS_TOKEN } })
  t.equal((await fetch(`http://127.0.0.1:${guarded}/metrics`)).status, 401, 'with METRICS_TOKEN too, it is asked for')
  t.equal((await fetch(`http://127.0.0.1:${guarded}/metrics`, { headers: bearer(METRICS_TOKEN) })).status, 200)
  await both.app.close()
  await t.rejects(fetch(`http://127.0.0.1:${guarded}/metrics`), 'closed with the app')
})
