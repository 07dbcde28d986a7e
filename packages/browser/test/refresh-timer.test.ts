import t from 'tap'
import { createRefreshTimer, refreshDueAt, retryDelayMs } from '../src/refresh-timer.ts'

t.test('the refresh falls due a margin before expiry, but not before half the lifetime', async (t) => {
  const minute = 60_000
  t.equal(refreshDueAt(15 * minute, 15 * minute, minute), 14 * minute, 'a 15-minute token: one minute before')
  t.equal(refreshDueAt(3000, 3000, minute), 1500, 'a 3-second token: at half its life')
  t.equal(refreshDueAt(10_000, 10_000, 0), 10_000, 'no margin: at expiry')
})

t.test('failed refreshes back off from 1 s to at most 30 s', async (t) => {
  t.same([1, 2, 3, 4, 5, 6, 10].map(retryDelayMs), [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000])
})

t.test('the timer fires once at its moment, and a new moment replaces the old', async (t) => {
  const fired: number[] = []
  let resolve!: () => void
  const done = new Promise<void>((r) => (resolve = r))
  const timer = createRefreshTimer(() => {
    fired.push(Date.now())
    resolve()
  })
  timer.at(Date.now() + 10_000)
  const at = Date.now() + 20
  timer.at(at)
  await done
  timer.close()
  t.equal(fired.length, 1)
  t.ok(fired[0]! >= at)
})

t.test('a cancelled timer does not fire', async (t) => {
  let fired = false
  const timer = createRefreshTimer(() => (fired = true))
  timer.at(Date.now() + 5)
  timer.cancel()
  await new Promise((resolve) => setTimeout(resolve, 30))
  timer.close()
  t.equal(fired, false)
})
