import { setTimeout as sleep } from 'node:timers/promises'

/** Waits `ms`, or less if `signal` aborts first; never rejects, and leaves no timer behind either way. */
export async function delay(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return
  await sleep(ms, undefined, { signal }).catch(() => {})
}

const BACKOFF_BASE_MS = 100
const BACKOFF_CAP_MS = 5_000

/**
 * Exponential backoff with "equal jitter": the n-th consecutive failure waits
 * between half and all of min(cap, base·2ⁿ⁻¹). The floor keeps a dead keyturn
 * from being hammered; the jitter keeps a fleet of verifiers from
 * reconnecting in step when it comes back.
 */
export function backoffMs(failures: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, failures - 1))
  return ceiling / 2 + (random() * ceiling) / 2
}
