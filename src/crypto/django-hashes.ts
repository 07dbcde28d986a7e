import { createHash, pbkdf2, timingSafeEqual } from 'node:crypto'
import { promisify } from 'node:util'
import argon2 from 'argon2'
import bcrypt from 'bcrypt'

/**
 * Reads the password hashes Django stores (`algorithm$...`) so users imported
 * from a Django site can log in; the caller then re-hashes them to argon2id.
 * Formats: pbkdf2_sha256, pbkdf2_sha1, argon2 (argon2id/i/d, with or without
 * `v=`), bcrypt_sha256 and bcrypt. Anything else, including Django's unusable
 * passwords (`!...`), never verifies. Nothing here throws: a value we cannot
 * read is a wrong password. No hashing runs on the event loop: pbkdf2, argon2
 * and bcrypt (the native package) all run on libuv's thread pool.
 */

/**
 * The cost a stored hash may ask for: Django's current defaults. A legacy
 * hash costs what Django made it cost until its owner's first login here
 * (then it is argon2id like everyone's), and that time tells an observer the
 * account is still on it; the caps keep that difference to what Django itself
 * spends, and keep a crafted or corrupted import from making one login
 * attempt pin a core or allocate gigabytes. A hash over them is imported as
 * unusable (reported; its owner resets the password) and never verifies.
 */
// Django 6.1's default; it rose from 10,000 (1.4) through 1,000,000 (5.2) and 1,200,000 (6.0).
export const MAX_PBKDF2_ITERATIONS = 1_500_000
// Django's default, unchanged since bcrypt support came.
export const MAX_BCRYPT_COST = 12
// Django's Argon2PasswordHasher: m=102400 KiB (100 MiB), t=2, p=8 (since 3.2).
export const MAX_ARGON2_MEMORY_KIB = 102_400
const MAX_ARGON2_MEMORY_PASSES_KIB = 102_400 * 2 // m × t
export const MAX_ARGON2_PARALLELISM = 8

const pbkdf2Async = promisify(pbkdf2)

/** A hash read well enough to know its cost; `verify` is only called within the caps. */
interface ParsedHash {
  withinCaps: boolean
  verify(password: string): Promise<boolean>
}

type Parser = (rest: string) => ParsedHash | undefined

// A Map, not an object literal, so `constructor$...` finds nothing.
const parsers = new Map<string, Parser>([
  ['pbkdf2_sha256', (rest) => parsePbkdf2(rest, 'sha256', 32)],
  ['pbkdf2_sha1', (rest) => parsePbkdf2(rest, 'sha1', 20)],
  ['argon2', parseArgon2],
  ['bcrypt_sha256', (rest) => parseBcrypt(rest, (password) => createHash('sha256').update(password).digest('hex'))],
  ['bcrypt', (rest) => parseBcrypt(rest, (password) => password)],
])

/** True when `stored` names one of the Django algorithms this module reads (its body may still be malformed). */
export function isDjangoHash(stored: string): boolean {
  return parserFor(stored) !== undefined
}

/**
 * What an imported password value is worth: a Django hash this module can
 * verify within the caps, one it could read but whose cost is over them, or
 * nothing it can verify (Django's unusable `!...`, empty, an algorithm it does
 * not read, malformed).
 */
export type DjangoHashStanding = 'usable' | 'too_costly' | 'unreadable'

export function djangoHashStanding(stored: string): DjangoHashStanding {
  const parsed = parse(stored)
  return parsed === undefined ? 'unreadable' : parsed.withinCaps ? 'usable' : 'too_costly'
}

/** True only when `password` matches the Django hash `stored`; false for a wrong password and for anything unreadable or over the caps. */
export async function verifyDjangoHash(stored: string, password: string): Promise<boolean> {
  try {
    const parsed = parse(stored)
    if (parsed === undefined || !parsed.withinCaps || typeof password !== 'string') return false
    return await parsed.verify(password)
  } catch {
    return false
  }
}

function parserFor(stored: string): Parser | undefined {
  if (typeof stored !== 'string') return undefined
  const end = stored.indexOf('$')
  return end > 0 ? parsers.get(stored.slice(0, end)) : undefined
}

function parse(stored: string): ParsedHash | undefined {
  return parserFor(stored)?.(stored.slice(stored.indexOf('$') + 1))
}

/** `<iterations>$<salt>$<base64 hash>`; the salt is text, used as its UTF-8 bytes. */
function parsePbkdf2(rest: string, digest: 'sha256' | 'sha1', size: number): ParsedHash | undefined {
  const [iterationsText, salt, hash, extra] = rest.split('$')
  if (extra !== undefined || !salt || !hash || !/^[1-9][0-9]{0,7}$/.test(iterationsText ?? '')) return undefined
  const iterations = Number(iterationsText)
  const expected = Buffer.from(hash, 'base64')
  // Node's decoder skips junk; Django compares the text, so only the exact encoding can match.
  if (expected.length !== size || expected.toString('base64') !== hash) return undefined
  return {
    withinCaps: iterations <= MAX_PBKDF2_ITERATIONS,
    verify: async (password) => sameBytes(await pbkdf2Async(password, salt, iterations, size, digest), expected),
  }
}

const ARGON2 = /^argon2(?:id|i|d)\$(?:v=(?:16|19)\$)?m=([0-9]{1,10}),t=([0-9]{1,10}),p=([0-9]{1,10})\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/

/**
 * `argon2id$v=19$m=...,t=...,p=...$salt$hash`, i.e. a PHC string less its
 * leading `$`. Hashes from argon2-cffi before 16.0 have no `v=`: they are
 * Argon2 version 0x10, which is what the argon2 package assumes when it is
 * missing, so they are passed on as they are.
 */
function parseArgon2(rest: string): ParsedHash | undefined {
  const match = ARGON2.exec(rest)
  if (!match) return undefined
  const [memory, passes, lanes] = match.slice(1).map(Number) as [number, number, number]
  // Argon2 itself refuses less than 8 KiB per lane: not a hash anything made.
  if (passes < 1 || lanes < 1 || memory < 8 * lanes) return undefined
  return {
    withinCaps:
      memory <= MAX_ARGON2_MEMORY_KIB && memory * passes <= MAX_ARGON2_MEMORY_PASSES_KIB && lanes <= MAX_ARGON2_PARALLELISM,
    verify: (password) => argon2.verify(`$${rest}`, password),
  }
}

const BCRYPT = /^\$2([aby])\$([0-9]{2})\$[./A-Za-z0-9]{53}$/

/**
 * A bcrypt string, `$2b$12$<22 salt><31 hash>`. Like every bcrypt, this reads
 * only the first 72 bytes of the secret: for plain `bcrypt$` that is the
 * password itself (Django's BCryptPasswordHasher had the same limit), for
 * `bcrypt_sha256$` the 64 hex digits of its SHA-256. `$2y$` (PHP's name) is
 * the same algorithm as `$2b$`, which the native package computes instead.
 */
function parseBcrypt(rest: string, secretOf: (password: string) => string): ParsedHash | undefined {
  const match = BCRYPT.exec(rest)
  if (!match) return undefined
  const cost = Number(match[2])
  if (cost < 4 || cost > 31) return undefined
  const minor = match[1] === 'y' ? 'b' : match[1]
  const body = rest.slice(4)
  return {
    withinCaps: cost <= MAX_BCRYPT_COST,
    async verify(password) {
      const secret = secretOf(password)
      // The C library stops at a NUL, so "a\0b" would pass as "a"; Python's bcrypt refuses NULs, so no Django password has one.
      if (secret.includes('\0')) return false
      const computed = await bcrypt.hash(secret, `$2${minor}$${body.slice(0, 25)}`)
      return sameBytes(Buffer.from(computed.slice(4)), Buffer.from(body))
    },
  }
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b)
}
