// npm run bench (after the others), or alone: tsx bench/observability.ts.
// What the audit log and the metrics cost: keyturn instances on one Postgres
// database, "on" with AUDIT_LOG and METRICS_TOKEN (scraped every second, as
// Prometheus would), "off" with both off, on login, refresh, GET /me and /verify.
//
// An on and an off instance are loaded at the same time, on the same core
// (BENCH_SERVER_CPUS): the scheduler shares the core between them fairly, so
// the share of requests each answers is the ratio of their costs, and a
// machine whose speed swings from one second to the next (this one, ±30 %)
// swings both alike. Measured one after the other, two identical instances
// differed by up to 15 % here. Two pairs, started in opposite orders, take
// turns, because the instance started second ran a few per cent faster.
// Pin the servers away from the load generator:
//   BENCH_SERVER_CPUS=0 taskset -c 1 npx tsx bench/observability.ts
import type { Options, Result } from 'autocannon'
import { connections, createBenchDatabase, duration, password, post, ROUNDS, run, start, stopAll } from './harness.js'

const METRICS_TOKEN = 'bench-metrics-token-0123456789abcdef0123'

interface Instance {
  base: string
  access: string
}

interface Pair {
  on: Instance
  off: Instance
}

async function main(): Promise<void> {
  const database = await createBenchDatabase('keyturn_bench_observe')
  try {
    const common = {
      DATABASE_URL: database.url,
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
      RATE_LIMIT_ENABLED: 'false',
      PRUNE_INTERVAL: '0',
    }
    const instance = async (on: boolean, env: Record<string, string> = {}): Promise<string> =>
      start(['dist/src/server.js'], { ...common, ...env, ...(on ? { AUDIT_LOG: 'true', METRICS_TOKEN } : { AUDIT_LOG: 'false' }) })
    const migrating = await instance(false, { MIGRATE_ON_START: 'true' })
    for (let i = 0; i < connections; i++) await post(migrating, '/v1/auth/register', { username: `observe${i}`, password })
    // Started off, on, on, off: one pair of each order.
    const started = [migrating, await instance(true), await instance(true), await instance(false)]
    const signedIn = async (base: string): Promise<Instance> => ({
      base,
      access: (await post(base, '/v1/auth/login', { username: 'observe0', password })).body.tokens.access_token,
    })
    const [offA, onA, onB, offB] = await Promise.all(started.map(signedIn))
    const pairs: Pair[] = [
      { off: offA!, on: onA! },
      { on: onB!, off: offB! },
    ]
    // Prometheus scrapes the instances with metrics while they are measured.
    const scraper = setInterval(() => {
      for (const { on } of pairs) fetch(`${on.base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } }).then((res) => res.text(), () => {})
    }, 1000)

    const me = async ({ base, access }: Instance): Promise<Options> => ({ url: `${base}/v1/auth/me`, headers: { authorization: `Bearer ${access}` } })
    const scenarios: { name: string; options: (instance: Instance) => Promise<Options>; pairs?: Pair[] }[] = [
      { name: 'GET /v1/auth/me', options: me },
      {
        name: 'POST /v1/auth/verify',
        options: async ({ base, access }) => ({ url: `${base}/v1/auth/verify`, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: access }) }),
      },
      { name: 'POST /v1/auth/refresh', options: refreshOptions },
      {
        name: 'POST /v1/auth/login',
        options: async ({ base }) => ({ url: `${base}/v1/auth/login`, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'observe1', password }) }),
      },
      // The control: two instances alike (both off), to read the rows above against.
      { name: 'control: GET /v1/auth/me, off ÷ off', options: me, pairs: [{ on: offB!, off: offA! }] },
    ]
    const rows = []
    for (const scenario of scenarios) {
      const ratios: { ratio: number; on: Result; off: Result }[] = []
      const together = async ({ on, off }: Pair, seconds = duration) => {
        const [onOptions, offOptions] = [await scenario.options(on), await scenario.options(off)]
        const [onResult, offResult] = await Promise.all([run({ ...onOptions, duration: seconds }), run({ ...offOptions, duration: seconds })])
        return { ratio: onResult.requests.average / offResult.requests.average, on: onResult, off: offResult }
      }
      // Unmeasured first: a cold instance (JIT, pools) would lose its first round.
      const measured = scenario.pairs ?? pairs
      for (const pair of measured) await together(pair, 2)
      for (let round = 0; round < ROUNDS; round++) ratios.push(await together(measured[round % measured.length]!))
      ratios.sort((a, b) => a.ratio - b.ratio)
      rows.push({ scenario: scenario.name, ...ratios[Math.floor(ratios.length / 2)]!, range: [ratios[0]!.ratio, ratios.at(-1)!.ratio] })
    }
    clearInterval(scraper)
    const events = await fetch(`${pairs[0]!.on.base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } }).then((res) => res.text())
    const written = /^keyturn_security_events_total\{type="login_succeeded"\} (\d+)/m.exec(events)?.[1] ?? '0'

    console.log(`\nkeyturn bench (observability): ${connections} connections, ${duration} s a run, median of ${ROUNDS} rounds, on and off loaded together on one core`)
    console.log('| scenario | off req/s | on req/s | off p99 ms | on p99 ms | on ÷ off | rounds\' range |')
    console.log('|---|---:|---:|---:|---:|---:|---:|')
    for (const row of rows) {
      const cells = [row.off.requests.average.toFixed(0), row.on.requests.average.toFixed(0), row.off.latency.p99, row.on.latency.p99]
      const percent = (ratio: number) => `${(ratio * 100).toFixed(1)}%`
      console.log(`| ${row.scenario} | ${cells.join(' | ')} | ${percent(row.ratio)} | ${row.range.map(percent).join('–')} |`)
    }
    console.log(`"on": AUDIT_LOG=true (${written} login events by one of them, written in batches) and METRICS_TOKEN, scraped every second; "off": both off`)
    const errors = rows.some((row) => row.on.non2xx + row.off.non2xx + row.on.errors + row.off.errors > 0)
    if (errors) {
      console.error('some requests failed')
      process.exitCode = 1
    }
  } finally {
    await stopAll([database.name])
  }
}

/**
 * Each answer's new refresh token goes back in the queue for the next
 * request (a chain per session); a run stops with answers in flight, whose
 * chains end there, so each run gets chains of its own.
 */
async function refreshOptions({ base }: Instance): Promise<Options> {
  const ready: string[] = []
  for (let i = 0; i < 2 * connections; i++) {
    ready.push((await post(base, '/v1/auth/login', { username: `observe${i % connections}`, password })).body.tokens.refresh_token)
  }
  return {
    url: `${base}/v1/auth/refresh`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: (request) => ({ ...request, body: JSON.stringify({ refresh_token: ready.shift() }) }),
        onResponse: (status, body) => {
          if (status === 200) ready.push(JSON.parse(body).tokens.refresh_token)
        },
      },
    ],
  }
}

await main()
