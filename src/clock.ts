import { setTimeout as sleep } from 'node:timers/promises'

/** Time as the service sees it; tests pass a clock they can move instead of waiting. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number
  /** Waits `ms` (the login slowdown). A test clock may record the wait and return at once; without it, real time passes. */
  sleep?(ms: number): Promise<void>
}

export const systemClock: Clock = { now: () => Date.now(), sleep: (ms) => sleep(ms) }

/** Waits `ms` on the clock's terms; nothing at all when there is nothing to wait. */
export function waitOn(clock: Clock, ms: number): Promise<void> {
  if (ms <= 0) return Promise.resolve()
  return clock.sleep ? clock.sleep(ms) : sleep(ms).then(() => undefined)
}
