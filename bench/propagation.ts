// How fast a logout answered by one keyturn instance reaches the revocation
// feed: of the same instance, and of a second instance on the same database
// (NOTIFY wakes its sync; DENYLIST_SYNC_INTERVAL is the safety net only); and
// how fast @keyturn/verifier, following the second instance, refuses the token.
// Latency is counted from the moment the logout's 204 reached the client to
// the moment a long poll of the feed delivered the session (or the verifier
// first threw token_revoked).
import { createVerifier } from '@keyturn/verifier'
import { createBenchDatabase, password, post, secret, start, stopAll } from './harness.js'

const LOGOUTS = Number(process.env.BENCH_LOGOUTS ?? 500)
const FEED_TOKEN = 'bench-feed-token-0123456789abcdef0123'

interface Follower {
  arrivals: Map<string, number>
  stop(): void
}

/** Follows a feed the way a verifier does, noting when each session arrives. */
function follow(base: string): Follower {
  const arrivals = new Map<string, number>()
  const stopped = new AbortController()
  void (async () => {
    let cursor: string | undefined
    while (!stopped.signal.aborted) {
      const query = cursor === undefined ? '' : `?after=${cursor}&wait=20`
      try {
        const res = await fetch(`${base}/v1/auth/revocations${query}`, {
          headers: { authorization: `Bearer ${FEED_TOKEN}` },
          signal: stopped.signal,
        })
        const body = (await res.json()) as { cursor: string; revocations: { sid: string }[] }
        const now = performance.now()
        for (const entry of body.revocations) if (!arrivals.has(entry.sid)) arrivals.set(entry.sid, now)
        cursor = body.cursor
      } catch (error) {
        if (!stopped.signal.aborted) throw error
      }
    }
  })()
  return { arrivals, stop: () => stopped.abort() }
}

/** Milliseconds from `since` until the verifier refuses the token as revoked. */
async function untilRefused(verifier: ReturnType<typeof createVerifier>, token: string, since: number): Promise<number> {
  for (;;) {
    try {
      await verifier.verify(token)
    } catch (error) {
      if ((error as { code?: string }).code === 'token_revoked') return performance.now() - since
      throw error
    }
    if (performance.now() - since > 10_000) throw new Error('the verifier did not refuse a logged-out token within 10 s')
    await new Promise((resolve) => setImmediate(resolve))
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}

async function main(): Promise<void> {
  const database = await createBenchDatabase('keyturn_bench_propagation')
  try {
    const env = {
      DATABASE_URL: database.url,
      MIGRATE_ON_START: 'true',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_ENABLED: 'false',
      PRUNE_INTERVAL: '0',
      REVOCATION_FEED_TOKENS: FEED_TOKEN,
      // Logins are not what is measured here.
      ARGON2_MEMORY_COST: '256',
      ARGON2_TIME_COST: '1',
    }
    const first = await start(['dist/src/server.js'], env)
    const second = await start(['dist/src/server.js'], { ...env, MIGRATE_ON_START: 'false' })
    await post(first, '/v1/auth/register', { username: 'propagation', password })
    const sameInstance = follow(first)
    const otherInstance = follow(second)
    const verifier = createVerifier({
      issuer: 'keyturn',
      audience: 'keyturn',
      secret,
      revocations: { url: `${second}/v1/auth/revocations`, token: FEED_TOKEN },
    })
    await verifier.ready()
    await new Promise((resolve) => setTimeout(resolve, 500))

    const answered = new Map<string, number>()
    const refusedAfter: number[] = []
    for (let i = 0; i < LOGOUTS; i++) {
      const { body } = await post(first, '/v1/auth/login', { username: 'propagation', password })
      const access = body.tokens.access_token as string
      const sid = JSON.parse(Buffer.from(access.split('.')[1]!, 'base64url').toString()).sid as string
      await verifier.verify(access)
      const res = await post(first, '/v1/auth/logout', {}, { authorization: `Bearer ${access}` })
      if (res.status !== 204) throw new Error(`logout answered ${res.status}`)
      const at = performance.now()
      answered.set(sid, at)
      refusedAfter.push(await untilRefused(verifier, access, at))
    }
    await verifier.close()
    const deadline = performance.now() + 10_000
    while ([sameInstance, otherInstance].some((f) => f.arrivals.size < LOGOUTS) && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    sameInstance.stop()
    otherInstance.stop()

    console.log(`\nrevocation propagation: ${LOGOUTS} logouts on instance A, each followed by the feed`)
    console.log('| feed followed | arrived | p50 ms | p99 ms | max ms |')
    console.log('|---|---:|---:|---:|---:|')
    for (const [label, follower] of [
      ['instance A (the one that logged out)', sameInstance],
      ['instance B (same database)', otherInstance],
    ] as const) {
      const latencies = [...answered].map(([sid, at]) => Math.max(0, (follower.arrivals.get(sid) ?? Infinity) - at)).sort((a, b) => a - b)
      const arrived = latencies.filter(Number.isFinite).length
      const cells = [50, 99, 100].map((p) => percentile(latencies, p).toFixed(1))
      console.log(`| ${label} | ${arrived}/${LOGOUTS} | ${cells.join(' | ')} |`)
      if (arrived < LOGOUTS) process.exitCode = 1
    }
    refusedAfter.sort((a, b) => a - b)
    const cells = [50, 99, 100].map((p) => percentile(refusedAfter, p).toFixed(1))
    console.log(`| @keyturn/verifier following instance B: token refused | ${refusedAfter.length}/${LOGOUTS} | ${cells.join(' | ')} |`)
    if (percentile(refusedAfter, 99) > 1000) {
      console.error('target missed: a logout must be refused by a verifier within 1 s (p99)')
      process.exitCode = 1
    }
  } finally {
    await stopAll([database.name])
  }
}

await main()
