import { createPasswordHasher, nodeArgon2, type Argon2Engine, type PasswordHasher } from '../src/crypto/passwords.js'
import { loadConfig } from '../src/config.js'
import { testEnv } from './helper.js'

/** m, t and p of a PHC string or of hash parameters, in one order, for comparing. */
function parametersOf(source: string | { memoryCost: number; timeCost: number; parallelism: number }): string {
  if (typeof source !== 'string') return `m=${source.memoryCost},t=${source.timeCost},p=${source.parallelism}`
  const read = (key: string) => new RegExp(`[$,]${key}=([0-9]+)`).exec(source)?.[1] ?? '?'
  return `m=${read('m')},t=${read('t')},p=${read('p')}`
}

export interface WatchedHasher {
  passwords: PasswordHasher
  /** Every argon2 computation since the last reset, as "verify m=…,t=…,p=…" or "hash m=…": real argon2 ran each. */
  calls: string[]
  reset(): void
}

/**
 * The service's real password hasher (the test configuration's argon2id
 * parameters) over the real argon2 package, with every computation written
 * down: what a path hashes, and at what cost, is then something to compare.
 * `gate`, when given, runs after each verification and before its answer.
 */
export function watchedHasher(gate?: (digest: string) => Promise<void>): WatchedHasher {
  const calls: string[] = []
  const engine: Argon2Engine = {
    async hash(password, parameters) {
      calls.push(`hash ${parametersOf(parameters)}`)
      return nodeArgon2.hash(password, parameters)
    },
    async verify(digest, password) {
      calls.push(`verify ${parametersOf(digest)}`)
      const verified = await nodeArgon2.verify(digest, password)
      await gate?.(digest)
      return verified
    },
  }
  const passwords = createPasswordHasher(loadConfig(testEnv).argon2, engine)
  return { passwords, calls, reset: () => void calls.splice(0) }
}
