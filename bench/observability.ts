// npm run bench (after the others), or alone: tsx bench/observability.ts.
// What the audit log and the metrics cost: two keyturn instances on one
// Postgres database, one with AUDIT_LOG and METRICS_TOKEN (scraped every
// second, as Prometheus would), one with both off, measured in alternating
// rounds on login, refresh, GET /me and /verify. Pin the servers away from
// the load generator: BENCH_SERVER_CPUS=0 taskset -c 1 npx tsx bench/observability.ts
import type { Options, Result } from 'autocannon'
import { connections, createBenchDatabase, duration, password, post, ROUNDS, run, start, stopAll } from './harness.js'

const METRICS_TOKEN = 'bench-metrics-token-0123456789abcdef0123'

interface Instance {
  name: 'on' | 'off'
  base: string
  access: string
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
    const off = await start(['dist/src/server.js'], { ...common, MIGRATE_ON_START: 'true', AUDIT_LOG: 'false' })
    const on = await start(['dist/src/server.js'], { ...common, AUDIT_LOG: 'true', METRICS_TOKEN })
    for (let i = 0; i < connections; i++) await post(off, '/v1/auth/register', { username: `observe${i}`, password })
    const instances: Instance[] = []
    for (const [name, base] of [['off', off], ['on', on]] as const) {
      const access = (await post(base, '/v1/auth/login', { username: 'observe0', password })).body.tokens.access_token
      instances.push({ name, base, access })
    }
    // Prometheus scrapes the instance with metrics while it is measured.
    const scraper = setInterval(() => {
      fetch(`${on}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } }).then((res) => res.text(), () => {})
    }, 1000)

    const scenarios: { name: string; options: (instance: Instance) => Promise<Options> }[] = [
      { name: 'GET /v1/auth/me', options: async ({ base, access }) => ({ url: `${base}/v1/auth/me`, headers: { authorization: `Bearer ${access}` } }) },
      {
        name: 'POST /v1/auth/verify',
        options: async ({ base, access }) => ({ url: `${base}/v1/auth/verify`, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: access }) }),
      },
      { name: 'POST /v1/auth/refresh', options: refreshOptions },
      {
        name: 'POST /v1/auth/login',
        options: async ({ base }) => ({ url: `${base}/v1/auth/login`, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'observe1', password }) }),
      },
    ]
    const rows = []
    for (const scenario of scenarios) {
      const ratios: { ratio: number; on: Result; off: Result }[] = []
      for (let round = 0; round < ROUNDS; round++) {
        // Alternating which goes first, so a drift of the machine's speed favours neither.
        const order = round % 2 === 0 ? instances : [...instances].reverse()
        const results: Partial<Record<Instance['name'], Result>> = {}
        for (const instance of order) results[instance.name] = await run(await scenario.options(instance))
        ratios.push({ ratio: results.on!.requests.average / results.off!.requests.average, on: results.on!, off: results.off! })
      }
      ratios.sort((a, b) => a.ratio - b.ratio)
      rows.push({ scenario: scenario.name, ...ratios[Math.floor(ratios.length / 2)]! })
    }
    clearInterval(scraper)
    const events = await fetch(`${on}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } }).then((res) => res.text())
    const written = /^keyturn_security_events_total\{type="login_succeeded"\} (\d+)/m.exec(events)?.[1] ?? '0'

    console.log(`\nkeyturn bench (observability): ${connections} connections, ${duration} s a run, median of ${ROUNDS} rounds, on ÷ off in the same round`)
    console.log('| scenario | off req/s | on req/s | off p99 ms | on p99 ms | on ÷ off |')
    console.log('|---|---:|---:|---:|---:|---:|')
    for (const row of rows) {
      const cells = [row.off.requests.average.toFixed(0), row.on.requests.average.toFixed(0), row.off.latency.p99, row.on.latency.p99]
      console.log(`| ${row.scenario} | ${cells.join(' | ')} | ${(row.ratio * 100).toFixed(1)}% |`)
    }
    console.log(`"on": AUDIT_LOG=true (${written} login events written in batches) and METRICS_TOKEN, scraped every second; "off": both off`)
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
