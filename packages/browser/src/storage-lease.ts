import { createTabLock, type RefreshLock } from './tab-lock.js'

/** The part of Web Storage a lease needs (so tests can pass a Map-backed one). */
export interface KeyValueStorage {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
  removeItem(key: string): void
}

interface Lease {
  owner: string
  until: number
}

export interface LeaseTiming {
  /** How long a lease lasts unless renewed: a tab that dies holding it blocks others this long. */
  leaseMs: number
  /** How long a writer waits before checking its write survived a racing one. */
  settleMs: number
  /** How often a waiting tab looks again. */
  pollMs: number
}

const defaultTiming: LeaseTiming = { leaseMs: 10_000, settleMs: 30, pollMs: 50 }

/**
 * The fallback lock for browsers without Web Locks: a lease record in
 * localStorage. Take it when it is absent or lapsed, wait `settleMs`, and hold
 * it only if the record still names us (a racing tab's later write wins, and
 * that tab sees itself as owner). A held lease is renewed while the task runs,
 * and removed after it. One lease per tab: its tasks take turns inside it.
 */
export function createStorageLease(storage: KeyValueStorage, name: string, timing: LeaseTiming = defaultTiming): RefreshLock {
  const key = `${name}:lease`
  const owner = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`
  const read = (): Lease | undefined => {
    try {
      const lease = JSON.parse(storage.getItem(key) ?? 'null') as Lease | null
      return lease && typeof lease.owner === 'string' && typeof lease.until === 'number' ? lease : undefined
    } catch {
      return undefined
    }
  }
  const write = () => storage.setItem(key, JSON.stringify({ owner, until: Date.now() + timing.leaseMs }))

  async function acquire(): Promise<void> {
    for (;;) {
      const current = read()
      if (!current || current.until <= Date.now()) {
        write()
        await delay(timing.settleMs)
        if (read()?.owner === owner) return
      }
      await delay(timing.pollMs)
    }
  }

  // This tab's own tasks queue here; only one of them competes for the lease at a time.
  const inTab = createTabLock()
  return (task) => inTab(async () => {
    await acquire()
    const renew = setInterval(() => read()?.owner === owner && write(), timing.leaseMs / 3)
    try {
      return await task()
    } finally {
      clearInterval(renew)
      if (read()?.owner === owner) storage.removeItem(key)
    }
  })
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
