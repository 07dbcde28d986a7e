import { createHash, pbkdf2, timingSafeEqual } from 'node:crypto'
import { promisify } from 'node:util'
import argon2 from 'argon2'
import bcrypt from 'bcryptjs'

/**
 * Reads the password hashes Django stores (`algorithm$...`) so users imported
 * from a Django site can log in; the caller then re-hashes them to argon2id.
 * Formats: pbkdf2_sha256, pbkdf2_sha1, argon2 (argon2id/i/d, with or without
 * `v=`), bcrypt_sha256 and bcrypt. Anything else, including Django's unusable
 * passwords (`!...`), never verifies. Nothing here throws: a value we cannot
 * read is a wrong password. All work runs off the event loop (pbkdf2 and
 * argon2 on libuv's pool) or in short slices on it (bcryptjs).
 */

/**
 * The cost a stored hash may ask for. They exist so a crafted or corrupted
 * import can't make one login attempt pin a core (or, for argon2, allocate
 * gigabytes); a hash over them reads as unusable and its owner must reset.
 * Each is far above what Django ever wrote by default.
 */
// Django's defaults ran from 10,000 (1.4) to 1,000,000 (5.2).
const MAX_PBKDF2_ITERATIONS = 10_000_000
// Django's default is 12, unchanged since bcrypt support came. bcryptjs is
// pure JavaScript and runs on the main thread (in ~100 ms slices): cost 12
// takes about 0.4 s of it, and each step up doubles that, so 15 is ~3 s.
const MAX_BCRYPT_COST = 15
// Django's default is m=102400 KiB (100 MiB), t=2, p=8.
const MAX_ARGON2_MEMORY_KIB = 2 ** 20 // 1 GiB
const MAX_ARGON2_MEMORY_PASSES_KIB = 2 ** 22 // m × t: 1 GiB × 4, 100 MiB × 40
const MAX_ARGON2_PARALLELISM = 64

const pbkdf2Async = promisify(pbkdf2)

type Verifier = (rest: string, password: string) => Promise<boolean>

// A Map, not an object literal, so `constructor$...` finds nothing.
const verifiers = new Map<string, Verifier>([
  ['pbkdf2_sha256', (rest, password) => verifyPbkdf2(rest, password, 'sha256', 32)],
  ['pbkdf2_sha1', (rest, password) => verifyPbkdf2(rest, password, 'sha1', 20)],
  ['argon2', verifyArgon2],
  ['bcrypt_sha256', (rest, password) => verifyBcrypt(rest, createHash('sha256').update(password).digest('hex'))],
  ['bcrypt', verifyBcrypt],
])

/** True when `stored` names one of the Django algorithms this module reads (its body may still be malformed). */
export function isDjangoHash(stored: string): boolean {
  return verifierFor(stored) !== undefined
}

/** True only when `password` matches the Django hash `stored`; false for a wrong password and for anything unreadable. */
export async function verifyDjangoHash(stored: string, password: string): Promise<boolean> {
  try {
    const verifier = verifierFor(stored)
    if (verifier === undefined || typeof password !== 'string') return false
    return await verifier(stored.slice(stored.indexOf('$') + 1), password)
  } catch {
    return false
  }
}

function verifierFor(stored: string): Verifier | undefined {
  if (typeof stored !== 'string') return undefined
  const end = stored.indexOf('$')
  return end > 0 ? verifiers.get(stored.slice(0, end)) : undefined
}

/** `<iterations>$<salt>$<base64 hash>`; the salt is text, used as its UTF-8 bytes. */
async function verifyPbkdf2(rest: string, password: string, digest: 'sha256' | 'sha1', size: number): Promise<boolean> {
  const [iterationsText, salt, hash, extra] = rest.split('$')
  if (extra !== undefined || !salt || !hash || !/^[1-9][0-9]{0,7}$/.test(iterationsText ?? '')) return false
  const iterations = Number(iterationsText)
  if (iterations > MAX_PBKDF2_ITERATIONS) return false
  const expected = Buffer.from(hash, 'base64')
  // Node's decoder skips junk; Django compares the text, so only the exact encoding can match.
  if (expected.length !== size || expected.toString('base64') !== hash) return false
  return sameBytes(await pbkdf2Async(password, salt, iterations, size, digest), expected)
}

const ARGON2 = /^argon2(?:id|i|d)\$(?:v=(?:16|19)\$)?m=([0-9]{1,10}),t=([0-9]{1,10}),p=([0-9]{1,10})\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/

/**
 * `argon2id$v=19$m=...,t=...,p=...$salt$hash`, i.e. a PHC string less its
 * leading `$`. Hashes from argon2-cffi before 16.0 have no `v=`: they are
 * Argon2 version 0x10, which is what the argon2 package assumes when it is
 * missing, so they are passed on as they are.
 */
async function verifyArgon2(rest: string, password: string): Promise<boolean> {
  const match = ARGON2.exec(rest)
  if (!match) return false
  const [memory, passes, lanes] = match.slice(1).map(Number) as [number, number, number]
  if (memory > MAX_ARGON2_MEMORY_KIB || memory * passes > MAX_ARGON2_MEMORY_PASSES_KIB) return false
  if (lanes > MAX_ARGON2_PARALLELISM) return false
  return await argon2.verify(`$${rest}`, password)
}

const BCRYPT = /^\$2[aby]\$([0-9]{2})\$[./A-Za-z0-9]{53}$/

/**
 * A bcrypt string, `$2b$12$<22 salt><31 hash>`. Like every bcrypt, this reads
 * only the first 72 bytes of the secret: for plain `bcrypt$` that is the
 * password itself (Django's BCryptPasswordHasher had the same limit), for
 * `bcrypt_sha256$` the 64 hex digits of its SHA-256.
 */
async function verifyBcrypt(rest: string, secret: string): Promise<boolean> {
  const match = BCRYPT.exec(rest)
  if (!match) return false
  const cost = Number(match[1])
  if (cost < 4 || cost > MAX_BCRYPT_COST) return false
  const computed = await bcrypt.hash(secret, rest.slice(0, 29))
  return sameBytes(Buffer.from(computed), Buffer.from(rest))
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b)
}
