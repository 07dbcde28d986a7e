import type { Test } from 'tap'
import { createVerifier, VerifyError, type Verifier, type VerifierOptions } from '../../src/index.js'
import { AUDIENCE, ISSUER } from './tokens.js'

/** A verifier for the test tokens, closed when the test ends. */
export function testVerifier(t: Test, options: Partial<VerifierOptions>): Verifier {
  const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, ...options })
  t.teardown(() => verifier.close())
  return verifier
}

/** A clock the test moves by hand (ms). */
export function manualClock(start = Date.now()) {
  let now = start
  return {
    now: () => now,
    advance(ms: number) {
      now += ms
    },
  }
}

/** The VerifyError `promise` rejects with; fails the test if it resolves or throws something else. */
export async function rejection(promise: Promise<unknown>): Promise<VerifyError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof VerifyError) return error
    throw error
  }
  throw new Error('expected a VerifyError, but verify returned claims')
}

export async function rejectionCode(promise: Promise<unknown>): Promise<string> {
  return (await rejection(promise)).code
}

/**
 * Calls `check` until it returns true, pausing briefly between tries; for
 * what the verifier does in the background (the feed). Bounded: it fails
 * rather than hang when the condition never comes.
 */
export async function eventually(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
