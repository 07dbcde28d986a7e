import { randomBytes } from 'node:crypto'
import argon2 from 'argon2'
import { djangoHashStanding, verifyDjangoHash } from './django-hashes.js'

export interface Argon2Parameters {
  memoryCost: number
  timeCost: number
  parallelism: number
}

/** The argon2 computations everything here rests on: the argon2 package, or (in tests) that package watched. */
export interface Argon2Engine {
  /** An argon2id PHC string. */
  hash(password: string, parameters: Argon2Parameters): Promise<string>
  /** Whether `password` matches the PHC string `digest`; throws on a digest it cannot read. */
  verify(digest: string, password: string): Promise<boolean>
}

export const nodeArgon2: Argon2Engine = {
  hash: (password, parameters) => argon2.hash(password, { type: argon2.argon2id, ...parameters }),
  verify: (digest, password) => argon2.verify(digest, password),
}

export interface PasswordHasher {
  hash(password: string): Promise<string>
  /**
   * False for a wrong password and for a stored value that can never verify
   * (Django's unusable `!...`, empty, a format not read, a legacy hash over
   * the cost caps): those cost one dummy verification, as an unknown user does.
   */
  verify(stored: string, password: string): Promise<boolean>
  /** Spends the time of one verification without an account, so "no such user" costs what "wrong password" costs. */
  verifyDummy(password: string): Promise<false>
  /** True when the stored hash was made with other parameters or another algorithm (every Django hash). */
  needsRehash(stored: string): boolean
}

/** A PHC string of ours: `$argon2id$v=19$m=...,p=...,t=...$salt$hash` (argon2i and argon2d read too; parameters in any order). */
const NATIVE = /^\$argon2(?:id|i|d)\$v=[0-9]+\$[a-z]=[0-9]+(?:,[a-z]=[0-9]+)*\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/

export function createPasswordHasher(parameters: Argon2Parameters, engine: Argon2Engine = nodeArgon2): PasswordHasher {
  // Made now, so that the first unknown user does not pay for it (and stand out).
  const dummyHash = engine.hash(randomBytes(32).toString('base64'), parameters)
  dummyHash.catch(() => {})

  async function verifyNative(stored: string, password: string): Promise<boolean> {
    try {
      return await engine.verify(stored, password)
    } catch {
      return false
    }
  }

  async function verifyDummy(password: string): Promise<false> {
    await verifyNative(await dummyHash, password)
    return false
  }

  return {
    hash: (password) => engine.hash(password, parameters),
    async verify(stored, password) {
      if (typeof stored === 'string' && NATIVE.test(stored)) return verifyNative(stored, password)
      // A legacy hash costs what Django made it cost (capped at Django's
      // defaults) until its owner's next login re-hashes it: see README.
      if (djangoHashStanding(stored) === 'usable') return verifyDjangoHash(stored, password)
      return verifyDummy(password)
    },
    verifyDummy,
    needsRehash: (stored) => !stored.startsWith('$argon2id$') || argon2.needsRehash(stored, parameters),
  }
}
