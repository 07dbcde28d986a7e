import { readFileSync } from 'node:fs'
import t from 'tap'
import { djangoHashStanding, isDjangoHash, verifyDjangoHash } from '../src/crypto/django-hashes.js'
import { createPasswordHasher } from '../src/crypto/passwords.js'
import { cpuTimed } from './cpu-time.js'

/** Every fixture user's password (test/fixtures/django/make_fixtures.py). */
const PASSWORD = 'correct horse battery staple'
const WRONG = 'correct horse battery stapler'

interface DumpedUser {
  fields: { username: string; password: string }
}
interface ExtraHash {
  name: string
  password: string
  encoded: string
  other_password?: string
  django_accepts_other_password?: boolean
}

const fixture = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`./fixtures/django/${name}`, import.meta.url), 'utf8')) as T

/** `manage.py dumpdata auth.user` of a Django 3.2 site, made by make_fixtures.py. */
const users = new Map(fixture<DumpedUser[]>('auth-users.json').map((u) => [u.fields.username, u.fields.password]))
/** Formats the dump lacks, made and checked by Django in make_extra_hashes.py. */
const extra = fixture<{ hashes: ExtraHash[] }>('extra-hashes.json').hashes

function stored(username: string): string {
  const password = users.get(username)
  if (password === undefined) throw new Error(`no fixture user ${username}`)
  return password
}

const usable = [
  ['ada', 'pbkdf2_sha256$'],
  ['grace', 'argon2$argon2id$v=19$m=102400,t=2,p=8$'],
  ['linus', 'bcrypt_sha256$$2b$12$'],
  ['margaret', 'pbkdf2_sha1$'],
  ['dormant', 'pbkdf2_sha256$'],
] as const

t.test('every usable password in the Django dump verifies with the right password only', async (t) => {
  for (const [username, prefix] of usable) {
    const hash = stored(username)
    t.ok(hash.startsWith(prefix), `${username}'s fixture is ${prefix}...`)
    t.ok(isDjangoHash(hash), `${username}: recognised`)
    t.equal(await verifyDjangoHash(hash, PASSWORD), true, `${username}: right password`)
    t.equal(await verifyDjangoHash(hash, WRONG), false, `${username}: wrong password`)
    t.equal(await verifyDjangoHash(hash, ''), false, `${username}: empty password`)
  }
})

t.test("Django's unusable password never verifies", async (t) => {
  const hash = stored('unusable')
  t.ok(hash.startsWith('!'))
  t.notOk(isDjangoHash(hash))
  t.equal(await verifyDjangoHash(hash, PASSWORD), false)
  t.equal(await verifyDjangoHash(hash, hash.slice(1)), false, 'not even with the random text after the !')
})

t.test('the extra formats Django made verify with their password only', async (t) => {
  t.ok(extra.length >= 8)
  for (const entry of extra) {
    t.ok(isDjangoHash(entry.encoded), `${entry.name}: recognised`)
    t.equal(await verifyDjangoHash(entry.encoded, entry.password), true, `${entry.name}: right password`)
    t.equal(await verifyDjangoHash(entry.encoded, `x${entry.password}`), false, `${entry.name}: wrong password`)
  }
})

t.test('argon2 hashes with no v= field are version 0x10, as argon2-cffi wrote them before 16.0', async (t) => {
  const withoutV = extra.find((e) => e.name === 'argon2i without v= (version 0x10)')!
  const withV16 = extra.find((e) => e.name === 'argon2i v=16')!
  t.equal(withoutV.encoded.replace('$argon2i$', '$argon2i$v=16$'), withV16.encoded, 'the same hash, told or not')
  t.equal(await verifyDjangoHash(withoutV.encoded, PASSWORD), true)
  // Read as version 0x13 the same bytes are a different hash.
  t.equal(await verifyDjangoHash(withoutV.encoded.replace('$argon2i$', '$argon2i$v=19$'), PASSWORD), false)
})

t.test('plain bcrypt reads only the first 72 bytes of the password, as Django did; bcrypt_sha256 reads them all', async (t) => {
  for (const entry of extra.filter((e) => e.other_password !== undefined)) {
    t.ok(Buffer.byteLength(entry.password) > 72 && entry.other_password!.slice(0, 72) === entry.password.slice(0, 72))
    t.equal(
      await verifyDjangoHash(entry.encoded, entry.other_password!),
      entry.django_accepts_other_password,
      `${entry.name}: as Django answers`,
    )
  }
})

t.test('malformed and hostile values are false, never an exception, and cost no hashing', async (t) => {
  const ada = stored('ada')
  const [, iterations, salt, hash] = ada.split('$') as [string, string, string, string]
  const grace = stored('grace')
  const linus = stored('linus')
  const bcryptBody = linus.slice('bcrypt_sha256$'.length)
  const argon2Tail = grace.slice(grace.indexOf('$', grace.indexOf('m=')))

  const malformed: Array<[string, string]> = [
    ['empty', ''],
    ['a lone !', '!'],
    ['! before a good hash', `!${ada}`],
    ['only an algorithm', 'pbkdf2_sha256'],
    ['an algorithm and a $', 'pbkdf2_sha256$'],
    ['unknown algorithm', `pbkdf2_sha512$${iterations}$${salt}$${hash}`],
    ['scrypt (not read)', 'scrypt$WSZ0hTHJ6Dr9$16384$8$1$WkGUHo9cTmx6oA6tNzyFPA=='],
    ['md5', 'md5$salt$8d8ba1a4e0ff0bc8d6f84f8e0bb6fb2b'],
    ['unsalted md5', '5f4dcc3b5aa765d61d327deb882cf99b'],
    ['object prototype name', `constructor$${iterations}$${salt}$${hash}`],
    ['__proto__', `__proto__$${iterations}$${salt}$${hash}`],
    ['leading space', ` ${ada}`],
    ['argon2 the PHC way, without Django prefix', grace.slice('argon2'.length)],
    ['truncated pbkdf2', ada.slice(0, -10)],
    ['pbkdf2 without hash', `pbkdf2_sha256$${iterations}$${salt}$`],
    ['pbkdf2 without salt', `pbkdf2_sha256$${iterations}$$${hash}`],
    ['pbkdf2 with an extra field', `${ada}$`],
    ['pbkdf2 bad base64', `pbkdf2_sha256$${iterations}$${salt}$${hash.slice(0, -4)}%%%=`],
    ['pbkdf2 base64 with junk inside', `pbkdf2_sha256$${iterations}$${salt}$${hash.slice(0, 10)}*${hash.slice(10)}`],
    ['pbkdf2 base64 without padding', `pbkdf2_sha256$${iterations}$${salt}$${hash.replace(/=+$/, '')}`],
    ['pbkdf2 sha1-sized hash as sha256', `pbkdf2_sha256$${iterations}$${salt}$${stored('margaret').split('$')[3]}`],
    ['iterations 0', `pbkdf2_sha256$0$${salt}$${hash}`],
    ['iterations negative', `pbkdf2_sha256$-1$${salt}$${hash}`],
    ['iterations not a number', `pbkdf2_sha256$many$${salt}$${hash}`],
    ['iterations in exponent form', `pbkdf2_sha256$1e5$${salt}$${hash}`],
    ['iterations with a leading zero', `pbkdf2_sha256$0${iterations}$${salt}$${hash}`],
    ['iterations over ten million', `pbkdf2_sha256$10000001$${salt}$${hash}`],
    ['iterations absurd', `pbkdf2_sha256$99999999999999999999$${salt}$${hash}`],
    ['argon2 without hash', grace.slice(0, grace.lastIndexOf('$') + 1)],
    ['argon2 unknown variant', grace.replace('argon2id', 'argon2x')],
    ['argon2 unknown version', grace.replace('v=19', 'v=18')],
    ['argon2 memory over 1 GiB', `argon2$argon2id$v=19$m=4194304,t=1,p=1${argon2Tail}`],
    ['argon2 memory × passes over budget', `argon2$argon2id$v=19$m=1048576,t=5,p=1${argon2Tail}`],
    ['argon2 absurd passes', `argon2$argon2id$v=19$m=102400,t=4000000000,p=8${argon2Tail}`],
    ['argon2 absurd parallelism', `argon2$argon2id$v=19$m=102400,t=2,p=65${argon2Tail}`],
    ['argon2 parameters out of order', grace.replace('m=102400,t=2,p=8', 't=2,m=102400,p=8')],
    ['argon2 memory below 8 × lanes', `argon2$argon2id$v=19$m=8,t=2,p=8${argon2Tail}`],
    ['argon2 bad base64 salt', grace.replace('$dTI1', '$*TI1')],
    ['truncated bcrypt', linus.slice(0, -1)],
    ['bcrypt with an extra character', `${linus}x`],
    ['bcrypt without a hash', linus.slice(0, 'bcrypt_sha256$'.length + 29)],
    ['bcrypt cost 16', `bcrypt_sha256$${bcryptBody.replace('$12$', '$16$')}`],
    ['bcrypt cost 31', `bcrypt$${bcryptBody.replace('$12$', '$31$')}`],
    ['bcrypt cost 3', `bcrypt$${bcryptBody.replace('$12$', '$03$')}`],
    ['bcrypt one-digit cost', `bcrypt$${bcryptBody.replace('$12$', '$9$')}`],
    ['bcrypt unknown minor', `bcrypt$${bcryptBody.replace('$2b$', '$2x$')}`],
    ['bcrypt character outside its alphabet', `bcrypt$${bcryptBody.slice(0, -1)}+`],
    ['bcrypt_sha256 with a missing $', linus.replace('$$', '$')],
  ]

  // Still a well-formed argon2 hash within the caps, so checked at its cost (and false), outside the timed part.
  t.equal(await verifyDjangoHash(grace.slice(0, -5), PASSWORD), false, 'truncated argon2')

  const refused = await cpuTimed(async () => {
    for (const [name, value] of malformed) {
      t.equal(await verifyDjangoHash(value, PASSWORD), false, name)
    }
  })
  // Had one been hashed at its claimed cost (10M+ pbkdf2 rounds, bcrypt 2^16+,
  // gigabytes of argon2), this alone would take seconds of CPU; none is hashed at all.
  t.ok(refused.ms < 1000, `refused before any expensive work (${Math.round(refused.ms)} ms of CPU)`)

  const notStrings: unknown[] = [null, undefined, 42, {}, ['pbkdf2_sha256$1$a$b']]
  for (const value of notStrings) {
    t.notOk(isDjangoHash(value as string), `isDjangoHash(${JSON.stringify(value)})`)
    t.equal(await verifyDjangoHash(value as string, PASSWORD), false, `verifyDjangoHash(${JSON.stringify(value)})`)
  }
  t.equal(await verifyDjangoHash(ada, undefined as unknown as string), false, 'a password that is no string')
})

t.test("hashes cost at most Django's current defaults; dearer ones read as too costly and never verify", async (t) => {
  const ada = stored('ada')
  const [, , salt, hash] = ada.split('$') as [string, string, string, string]
  const grace = stored('grace')
  const argon2Tail = grace.slice(grace.indexOf('$', grace.indexOf('m=')))
  const bcryptBody = stored('linus').slice('bcrypt_sha256$'.length)
  for (const [username] of usable) t.equal(djangoHashStanding(stored(username)), 'usable', username)
  for (const entry of extra) t.equal(djangoHashStanding(entry.encoded), 'usable', entry.name)

  const atCaps = [
    `pbkdf2_sha256$1500000$${salt}$${hash}`,
    `argon2$argon2id$v=19$m=102400,t=2,p=8${argon2Tail}`,
    `argon2$argon2id$v=19$m=51200,t=4,p=8${argon2Tail}`,
    `bcrypt$${bcryptBody}`,
  ]
  for (const value of atCaps) t.equal(djangoHashStanding(value), 'usable', value.slice(0, 40))

  const overCaps = [
    `pbkdf2_sha256$1500001$${salt}$${hash}`,
    `pbkdf2_sha1$10000000$${salt}$${stored('margaret').split('$')[3]}`,
    `argon2$argon2id$v=19$m=102401,t=1,p=8${argon2Tail}`,
    `argon2$argon2id$v=19$m=51200,t=5,p=8${argon2Tail}`,
    `argon2$argon2id$v=19$m=102400,t=2,p=9${argon2Tail}`,
    `bcrypt_sha256$${bcryptBody.replace('$12$', '$13$')}`,
    `bcrypt$${bcryptBody.replace('$12$', '$31$')}`,
  ]
  const checked = await cpuTimed(async () => {
    for (const value of overCaps) {
      t.equal(djangoHashStanding(value), 'too_costly', value.slice(0, 40))
      t.equal(await verifyDjangoHash(value, PASSWORD), false, 'never verified')
    }
  })
  t.ok(checked.ms < 1000, `nor hashed (${Math.round(checked.ms)} ms of CPU)`)

  const unreadable = ['', '!', stored('unusable'), 'md5$salt$8d8ba1a4e0ff0bc8d6f84f8e0bb6fb2b', grace.slice('argon2'.length), `pbkdf2_sha256$0$${salt}$${hash}`]
  for (const value of unreadable) t.equal(djangoHashStanding(value), 'unreadable', JSON.stringify(value.slice(0, 30)))
})

t.test('verification leaves the event loop free', async (t) => {
  let ticks = 0
  const timer = setInterval(() => ticks++, 10)
  try {
    for (const username of ['linus', 'ada', 'grace']) {
      const before = ticks
      t.equal(await verifyDjangoHash(stored(username), PASSWORD), true)
      t.ok(ticks > before, `timers ran while ${username}'s hash was checked`)
    }
  } finally {
    clearInterval(timer)
  }
})

t.test("the service's hasher verifies Django hashes and asks to re-hash them", async (t) => {
  const hasher = createPasswordHasher({ memoryCost: 256, timeCost: 1, parallelism: 1 })
  for (const [username] of usable) {
    const hash = stored(username)
    t.equal(await hasher.verify(hash, PASSWORD), true, `${username}: right password`)
    t.equal(await hasher.verify(hash, WRONG), false, `${username}: wrong password`)
    t.equal(hasher.needsRehash(hash), true, `${username}: re-hash to argon2id`)
  }
  for (const entry of extra) {
    t.equal(await hasher.verify(entry.encoded, entry.password), true, entry.name)
    t.equal(hasher.needsRehash(entry.encoded), true, `${entry.name}: re-hash`)
  }
  t.equal(await hasher.verify(stored('unusable'), PASSWORD), false, 'unusable stays unusable')
  t.equal(await hasher.verify('', PASSWORD), false, 'empty')

  const own = await hasher.hash(PASSWORD)
  t.equal(await hasher.verify(own, PASSWORD), true, 'its own argon2id hashes still verify')
  t.equal(await hasher.verify(own, WRONG), false)
  t.equal(hasher.needsRehash(own), false)
  const bare = stored('grace').slice('argon2'.length)
  t.equal(await hasher.verify(bare, PASSWORD), true, 'a bare $argon2id$ string (Django prefix gone) reads as ours')
})

t.test('bcrypt runs off the event loop: concurrent checks leave the main thread idle', async (t) => {
  const bcrypts = [stored('linus'), ...extra.filter((entry) => entry.encoded.startsWith('bcrypt')).map((entry) => entry.encoded)]
  t.ok(bcrypts.length >= 4, 'cost-12 bcrypt fixtures')
  // Event loop utilization is the share of wall time the main thread spent
  // running rather than waiting for I/O. Hashing on the main thread (bcryptjs,
  // in slices) keeps it near 1 however loaded the machine is; hashing on other
  // threads leaves it near 0, and a busy machine only makes the wait longer.
  const before = performance.eventLoopUtilization()
  const results = await Promise.all(bcrypts.map((hash) => verifyDjangoHash(hash, WRONG)))
  const { utilization } = performance.eventLoopUtilization(before)
  t.same(results, bcrypts.map(() => false))
  t.ok(utilization < 0.5, `the main thread was busy ${(utilization * 100).toFixed(0)}% of the time`)
})
