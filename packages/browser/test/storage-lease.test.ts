import t from 'tap'
import { createTabLock } from '../src/tab-lock.ts'
import { createStorageLease, type KeyValueStorage } from '../src/storage-lease.ts'

/** One origin's localStorage, shared by the "tabs" of a test. */
function sharedStorage(): KeyValueStorage & { map: Map<string, string> } {
  const map = new Map<string, string>()
  return {
    map,
    getItem: (key) => map.get(key) ?? null,
    setItem: (key, value) => void map.set(key, value),
    removeItem: (key) => void map.delete(key),
  }
}

const fast = { leaseMs: 400, settleMs: 5, pollMs: 5 }

t.test('two tabs holding a storage lease never run their tasks at the same time', async (t) => {
  const storage = sharedStorage()
  const tabs = [createStorageLease(storage, 'lock', fast), createStorageLease(storage, 'lock', fast)]
  let running = 0
  let overlaps = 0
  const order: number[] = []
  await Promise.all(
    [0, 1, 0, 1].map((tab, i) =>
      tabs[tab]!(async () => {
        running++
        if (running > 1) overlaps++
        await new Promise((resolve) => setTimeout(resolve, 20))
        order.push(i)
        running--
      }),
    ),
  )
  t.equal(overlaps, 0)
  t.equal(order.length, 4)
  t.equal(storage.map.size, 0, 'the lease is removed after the last task')
})

t.test('a lease left by a tab that died is taken once it lapses', async (t) => {
  const storage = sharedStorage()
  storage.setItem('lock:lease', JSON.stringify({ owner: 'gone', until: Date.now() + 50 }))
  const started = Date.now()
  const result = await createStorageLease(storage, 'lock', fast)(async () => 'ran')
  t.equal(result, 'ran')
  t.ok(Date.now() - started >= 45, 'it waited for the lease to lapse')
})

t.test('a task that throws releases the lease and the error reaches the caller', async (t) => {
  const storage = sharedStorage()
  const lease = createStorageLease(storage, 'lock', fast)
  await t.rejects(lease(async () => Promise.reject(new Error('boom'))), { message: 'boom' })
  t.equal(storage.map.size, 0)
  t.equal(await lease(async () => 'next'), 'next')
})

t.test('the tab lock runs tasks one after the other, also after a failure', async (t) => {
  const lock = createTabLock()
  const order: string[] = []
  const first = lock(async () => {
    await new Promise((resolve) => setTimeout(resolve, 10))
    order.push('first')
    throw new Error('first failed')
  })
  const second = lock(async () => {
    order.push('second')
    return 2
  })
  await t.rejects(first, { message: 'first failed' })
  t.equal(await second, 2)
  t.same(order, ['first', 'second'])
})
