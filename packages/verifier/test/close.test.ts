// close() leaves nothing behind: a process that created, used and closed a
// verifier exits by itself, whatever the feed was doing at that moment.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { startKeyturnStub, type FeedMode } from './support/keyturn-stub.js'

const fixture = fileURLToPath(new URL('./fixtures/close-verifier.ts', import.meta.url))
/** Generous: the child has to start node and tsx; it only fails if something keeps the process alive. */
const EXIT_BOUND_MS = 30_000

async function runScenario(scenario: string, feedMode: FeedMode) {
  const stub = await startKeyturnStub()
  stub.setFeedMode(feedMode)
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, STUB_URL: stub.url, FEED_TOKEN: stub.feedToken, SCENARIO: scenario },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let stdout = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk))
  const killer = setTimeout(() => child.kill('SIGKILL'), EXIT_BOUND_MS)
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once('exit', (exitCode, exitSignal) => resolve([exitCode, exitSignal])),
  )
  clearTimeout(killer)
  await stub.close()
  const lines = stdout.trim().split('\n')
  const report = JSON.parse(lines.at(-2) || '{}') as { closed?: boolean; closeTookMs?: number; resources?: string[] }
  const { exitedAfterMs } = JSON.parse(lines.at(-1) || '{}') as { exitedAfterMs?: number }
  return { code, signal, lines, report, exitedAfterMs, stub }
}

for (const [scenario, mode] of [
  ['synced', 'ok'],
  ['backing-off', 'fail'],
  ['first-sync-in-flight', 'hang'],
] as const) {
  t.test(`close() while ${scenario}: the process exits by itself`, async (t) => {
    const { code, signal, report, lines, exitedAfterMs, stub } = await runScenario(scenario, mode)
    t.equal(signal, null, 'not killed: it exited on its own')
    t.equal(code, 0)
    t.equal(report.closed, true)
    t.same(
      report.resources?.filter((type) => /Timeout|TCP|Immediate/.test(type)),
      [],
      'no timer or socket left after close()',
    )
    // What a leak would hold it for is longer: a 2 s long poll, a 5 s first-sync timeout, a 2.5 s backoff.
    t.ok(report.closeTookMs! < 1_500, `close() took ${Math.round(report.closeTookMs!)} ms: it aborts, it does not wait`)
    t.ok(exitedAfterMs! < 1_500, `exited ${Math.round(exitedAfterMs!)} ms after close() resolved`)
    t.ok(stub.feedRequests.length >= 1, 'the feed was being followed')
    if (scenario === 'first-sync-in-flight') t.equal(lines[0], 'ready rejected: the verifier was closed')
  })
}
