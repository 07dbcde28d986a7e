// npm run bench: keyturn on Postgres against a bare Fastify route measured in
// the same run. Machines are shared and noisy, so read the ratios.
import os from 'node:os'
import argon2 from 'argon2'
import type { Options, Result } from 'autocannon'
import pg from 'pg'
import {
  connections,
  createBenchDatabase,
  measure,
  password,
  post,
  report,
  ROUNDS,
  run,
  start,
  stopAll,
  type Row,
} from './harness.js'

/** CPU seconds one argon2id hash of the service's defaults takes here (OWASP: 19 MiB, t=2, p=1). */
export async function argon2Seconds(): Promise<number> {
  const options = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const
  await argon2.hash(password, options)
  const before = process.cpuUsage()
  const rounds = 20
  for (let i = 0; i < rounds; i++) await argon2.hash(password, options)
  const used = process.cpuUsage(before)
  return (used.user + used.system) / 1e6 / rounds
}

async function main(): Promise<void> {
  const database = await createBenchDatabase()
  const dbUrl = new URL(database.url)
  try {
    const keyturn = await start(['dist/src/server.js'], {
      DATABASE_URL: dbUrl.toString(),
      MIGRATE_ON_START: 'true',
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
      RATE_LIMIT_ENABLED: 'false',
      PRUNE_INTERVAL: '0',
    })
    const baseline = await start(['--import', 'tsx', 'bench/baseline.ts'], {})

    // Fixtures: one user per connection; 1,000 logged-out sessions in the denylist.
    const users: { tokens: { access_token: string; refresh_token: string } }[] = []
    for (let i = 0; i < connections; i++) {
      users.push((await post(keyturn, '/v1/auth/register', { username: `bench${i}`, password })).body)
    }
    const access = users[0]!.tokens.access_token
    const loggedOut = []
    for (let i = 0; i < 1000; i++) {
      const { body } = await post(keyturn, '/v1/auth/login', { username: 'bench0', password })
      loggedOut.push(post(keyturn, '/v1/auth/logout', {}, { authorization: `Bearer ${body.tokens.access_token}` }))
      if (loggedOut.length >= 20) await Promise.all(loggedOut.splice(0))
    }
    await Promise.all(loggedOut)
    const revokedProbe = await post(keyturn, '/v1/auth/login', { username: 'bench0', password })
    await post(keyturn, '/v1/auth/logout', {}, { authorization: `Bearer ${revokedProbe.body.tokens.access_token}` })
    if ((await post(keyturn, '/v1/auth/verify', { token: revokedProbe.body.tokens.access_token })).body.active !== false) {
      throw new Error('a logged-out token verified as active')
    }

    const rows: Row[] = []
    await run({ url: `${baseline}/` })
    const bare = `${baseline}/`
    const add = async (scenario: string, options: Options, note?: (result: Result) => string) => {
      await run(options)
      const { result, ratio, baseline: base } = await measure(bare, options)
      rows.push({ scenario, result, baseline: base.requests.average, ratio, ...(note ? { note: note(result) } : {}) })
    }

    await add('reference: @fastify/jwt alone', { url: `${baseline}/jwt`, headers: { authorization: `Bearer ${access}` } })
    await add('GET /v1/auth/me', { url: `${keyturn}/v1/auth/me`, headers: { authorization: `Bearer ${access}` } })
    await add('POST /v1/auth/verify (1,000 revoked)', {
      url: `${keyturn}/v1/auth/verify`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: access }),
    })

    // Refresh: every answer's new refresh token goes back in the queue for the
    // next request, so each request presents a live token (a chain per session).
    // autocannon resets a connection's context between requests, hence the queue.
    // A stop drops the answers in flight, and their chains with them: each run
    // (warm-up and rounds) gets chains of its own.
    const chains: string[][] = []
    for (let run = 0; run < ROUNDS + 1; run++) {
      const batch = []
      for (let i = 0; i < 2 * connections; i++) {
        batch.push((await post(keyturn, '/v1/auth/login', { username: `bench${i % connections}`, password })).body.tokens.refresh_token)
      }
      chains.push(batch)
    }
    let ready: string[] = []
    const client = new pg.Client({ connectionString: dbUrl.toString() })
    await client.connect()
    const countTokens = async () => Number((await client.query('select count(*) from refresh_tokens')).rows[0].count)
    const before = await countTokens()
    let answered = 0
    const refreshOptions: Options = {
      url: `${keyturn}/v1/auth/refresh`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      requests: [
        {
          setupRequest: (request) => {
            if (ready.length === 0) ready = chains.shift() ?? []
            return { ...request, body: JSON.stringify({ refresh_token: ready.shift() }) }
          },
          onResponse: (status, body) => {
            if (status !== 200) return
            answered++
            ready.push(JSON.parse(body).tokens.refresh_token)
          },
        },
      ],
    }
    await add('POST /v1/auth/refresh', refreshOptions)
    await new Promise((resolve) => setTimeout(resolve, 500))
    const committed = (await countTokens()) - before
    await client.end()
    // A run stops with up to one request per connection in flight: committed, its answer dropped.
    const inFlight = committed - answered
    rows.at(-1)!.note = `${committed} rotations committed, ${answered} answered, ${inFlight} in flight at the stops`
    if (inFlight < 0 || inFlight > connections * (ROUNDS + 1)) {
      console.error(`rotations and answers disagree: ${committed} committed, ${answered} answered`)
      process.exitCode = 1
    }

    // Login is bound by argon2: its yardstick is cores ÷ one hash's CPU time,
    // measured in each round right before the login run (the host's speed drifts).
    const login: Options = {
      url: `${keyturn}/v1/auth/login`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'bench1', password }),
    }
    await run(login)
    const cores = os.availableParallelism()
    const loginRounds = []
    for (let round = 0; round < ROUNDS; round++) {
      const hashSeconds = await argon2Seconds()
      const result = await run(login)
      const argon2Limit = cores / hashSeconds
      loginRounds.push({ result, hashSeconds, argon2Limit, share: result.requests.average / argon2Limit })
    }
    loginRounds.sort((a, b) => a.share - b.share)
    const median = loginRounds[Math.floor(loginRounds.length / 2)]!
    rows.push({
      scenario: 'POST /v1/auth/login',
      result: median.result,
      baseline: median.argon2Limit,
      ratio: median.share,
      note:
        `compared with the argon2-bound limit, not the bare route: ${cores} cores ÷ ` +
        `${(median.hashSeconds * 1000).toFixed(1)} ms CPU a hash = ${median.argon2Limit.toFixed(1)}/s, measured in the same round`,
    })

    report(rows)
  } finally {
    await stopAll([database.name])
  }
}

await main()
