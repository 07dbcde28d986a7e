import type { RefreshTokenStorage } from './types.js'

/** Body mode's refresh token: in this tab's memory, or in Web Storage. */
export interface RefreshTokenStore {
  get(): string | null
  set(token: string | null): void
}

export function memoryStore(): RefreshTokenStore {
  let token: string | null = null
  return {
    get: () => token,
    set: (next) => void (token = next),
  }
}

/**
 * sessionStorage survives a reload of this tab; localStorage survives closing
 * the browser and is shared by every tab. Both are readable by any script on
 * the origin (an XSS can copy the token), which memory is only while it runs.
 * Where storage is unavailable (disabled, sandboxed iframe) the token stays in memory.
 */
export function createRefreshTokenStore(kind: RefreshTokenStorage, key: string): RefreshTokenStore {
  if (kind === 'memory') return memoryStore()
  const storage = webStorage(kind)
  if (!storage) return memoryStore()
  return {
    get: () => storage.getItem(key),
    set: (token) => (token === null ? storage.removeItem(key) : storage.setItem(key, token)),
  }
}

function webStorage(kind: 'session' | 'local'): Storage | undefined {
  try {
    const storage = kind === 'session' ? globalThis.sessionStorage : globalThis.localStorage
    if (!storage) return undefined
    const probe = `keyturn:probe:${Math.random()}`
    storage.setItem(probe, '1')
    storage.removeItem(probe)
    return storage
  } catch {
    return undefined
  }
}
