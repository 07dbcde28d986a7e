interface LockManagerLike {
  request(name: string, options: { mode: 'shared' }, callback: () => Promise<void>): Promise<void>
  query(): Promise<{ held?: Array<{ name?: string }> }>
}

/** Whether other tabs run a client for the same keyturn, so a new tab knows if asking them is worth a wait. */
export interface TabPresence {
  /** True when another tab is there, or when this browser cannot tell. */
  othersPresent(): Promise<boolean>
  close(): void
}

/**
 * Every client holds a shared Web Lock named for its keyturn while it lives;
 * the browser releases it when the tab goes. Counting its holders tells a new
 * tab whether anyone could hand the session over.
 */
export function joinTabs(name: string): TabPresence {
  const locks = (globalThis.navigator as { locks?: LockManagerLike } | undefined)?.locks
  if (!locks || typeof locks.query !== 'function') return { othersPresent: async () => true, close: () => {} }
  let leave: (() => void) | undefined
  const joined = new Promise<void>((granted) => {
    locks
      .request(name, { mode: 'shared' }, () => {
        granted()
        return new Promise<void>((release) => (leave = release))
      })
      .catch(() => granted())
  })
  return {
    async othersPresent() {
      try {
        await joined
        const { held = [] } = await locks.query()
        return held.filter((lock) => lock.name === name).length > 1
      } catch {
        return true
      }
    },
    close: () => leave?.(),
  }
}
