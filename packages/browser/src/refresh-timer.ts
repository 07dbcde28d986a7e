/** The moment to refresh: `margin` before expiry, but never earlier than half the token's life. */
export function refreshDueAt(expiresAt: number, lifetimeMs: number, marginMs: number): number {
  return expiresAt - Math.min(marginMs, lifetimeMs / 2)
}

/** Backoff after a failed refresh (network, 5xx, 429): 1 s, 2 s, 4 s … up to 30 s. */
export function retryDelayMs(failures: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.max(0, failures - 1))
}

export interface RefreshTimer {
  /** Calls onDue at `at` (epoch ms); replaces any earlier schedule. */
  at(at: number): void
  cancel(): void
  close(): void
}

/** setTimeout's longest delay; a later moment is reached in steps. */
const maxTimeoutMs = 2 ** 31 - 1

/**
 * A timer for the next refresh. Browsers slow timers in hidden tabs (to once a
 * minute) and stop them in a sleeping laptop, so when the tab shows again or
 * the network returns, a refresh that fell due meanwhile runs at once.
 */
export function createRefreshTimer(onDue: () => void): RefreshTimer {
  let dueAt: number | undefined
  let timer: ReturnType<typeof setTimeout> | undefined

  const fireIfDue = () => {
    if (dueAt === undefined || Date.now() < dueAt) return
    clear()
    onDue()
  }
  const arm = () => {
    if (dueAt === undefined) return
    const wait = Math.min(Math.max(0, dueAt - Date.now()), maxTimeoutMs)
    timer = setTimeout(() => {
      timer = undefined
      if (dueAt !== undefined && Date.now() < dueAt) arm()
      else fireIfDue()
    }, wait)
  }
  const clear = () => {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    dueAt = undefined
  }
  const onWake = () => {
    if (globalThis.document?.visibilityState !== 'hidden') fireIfDue()
  }
  globalThis.document?.addEventListener?.('visibilitychange', onWake)
  globalThis.addEventListener?.('online', onWake)

  return {
    at(at) {
      clear()
      dueAt = at
      arm()
    },
    cancel: clear,
    close() {
      clear()
      globalThis.document?.removeEventListener?.('visibilitychange', onWake)
      globalThis.removeEventListener?.('online', onWake)
    },
  }
}
