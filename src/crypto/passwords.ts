import { randomBytes } from 'node:crypto'
import argon2, { type HashOptions } from 'argon2'
import { isDjangoHash, verifyDjangoHash } from './django-hashes.js'

export interface Argon2Parameters {
  memoryCost: number
  timeCost: number
  parallelism: number
}

export interface PasswordHasher {
  hash(password: string): Promise<string>
  /** False for a wrong password and for a stored value that is not a hash we can read (ours, or one imported from Django). */
  verify(stored: string, password: string): Promise<boolean>
  /** Spends the time of one verification without an account, so "no such user" costs what "wrong password" costs. */
  verifyDummy(password: string): Promise<false>
  /** True when the stored hash was made with other parameters or another algorithm (every Django hash). */
  needsRehash(stored: string): boolean
}

export function createPasswordHasher(parameters: Argon2Parameters): PasswordHasher {
  const options: HashOptions = { type: argon2.argon2id, ...parameters }
  let dummyHash: Promise<string> | undefined

  async function verify(stored: string, password: string): Promise<boolean> {
    if (isDjangoHash(stored)) return verifyDjangoHash(stored, password)
    if (!stored.startsWith('$argon2')) return false
    try {
      return await argon2.verify(stored, password)
    } catch {
      return false
    }
  }

  return {
    hash: (password) => argon2.hash(password, options),
    verify,
    async verifyDummy(password) {
      dummyHash ??= argon2.hash(randomBytes(32).toString('base64'), options)
      await verify(await dummyHash, password)
      return false
    },
    needsRehash: (stored) => !stored.startsWith('$argon2id$') || argon2.needsRehash(stored, parameters),
  }
}
