import { createStorageLease, type KeyValueStorage } from './storage-lease.js'
import { createTabLock, type RefreshLock } from './tab-lock.js'

interface LockManagerLike {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>
}

/**
 * The Web Locks API where the browser has it (every current one); otherwise a
 * lease in localStorage, which is best effort (Web Storage has no atomic
 * compare-and-set); otherwise a lock for this tab alone. Either way refreshes
 * in one tab never overlap, and keyturn's REFRESH_REUSE_INTERVAL answers a
 * rare overlap between tabs with the same successor token instead of a logout.
 */
export function createRefreshLock(name: string): RefreshLock {
  const locks = (globalThis.navigator as { locks?: LockManagerLike } | undefined)?.locks
  if (locks && typeof locks.request === 'function') {
    return (task) => locks.request(name, task)
  }
  const storage = localStorageIfUsable()
  return storage ? createStorageLease(storage, name) : createTabLock()
}

function localStorageIfUsable(): KeyValueStorage | undefined {
  try {
    const storage = globalThis.localStorage
    storage.getItem('keyturn:probe')
    return storage
  } catch {
    return undefined
  }
}
