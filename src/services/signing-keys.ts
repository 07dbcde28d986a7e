import type { FastifyBaseLogger } from 'fastify'
import type { Clock } from '../clock.js'
import type { Config } from '../config.js'
import { configuredKeys } from '../config/sections/keys.js'
import type { Db } from '../db/create-db.js'
import type { SigningKeyRow } from '../db/schema.js'
import { recordPublication, type PublishedKey } from '../db/signing-keys.js'
import { publicJwkOf, thumbprintOf, type ConfiguredKey } from '../tokens/jwk.js'
import { createKeyRing, type KeyRing } from '../tokens/key-ring.js'
import type { ScheduledKey } from '../tokens/key-schedule.js'
import { hs256Secret } from '../tokens/signing-secret.js'

/** What the database must hold of a configured key: its kid, alg and thumbprint, never its material. */
export function publishedKeyOf(key: ConfiguredKey): PublishedKey {
  return { kid: key.kid, alg: key.alg, thumbprint: thumbprintOf(publicJwkOf(key)) }
}

/**
 * Each configured key's recorded times, in configuration order. A kid recorded
 * with other key material stops the start: verifiers that cached the old key
 * under that kid would refuse every token of the new one.
 */
export function scheduleOf(keys: readonly ConfiguredKey[], rows: readonly SigningKeyRow[]): (ScheduledKey | undefined)[] {
  const byKid = new Map(rows.map((row) => [row.kid, row]))
  return keys.map((key) => {
    const row = byKid.get(key.kid)
    if (!row) return undefined
    if (row.thumbprint !== publishedKeyOf(key).thumbprint) {
      throw new Error(
        `signing key kid "${key.kid}" was published before with other key material; ` +
          'a kid names one key for good: give the new key a kid of its own (keyturn keys generate)',
      )
    }
    return { kid: key.kid, alg: key.alg, publishedAt: row.first_published_at.getTime(), signsFrom: row.signs_from.getTime() }
  })
}

/**
 * The service's keys at start: every configured key is published from now on
 * (recorded in the database unless an instance did so before), and the ring
 * signs with whichever may sign at each moment. With JWT_SECRET beside keys
 * the deployment signed with HS256 before, so even its first key waits its
 * turn; without one, a brand-new deployment's newest key signs at once.
 */
export async function loadKeyRing(deps: { db: Db; config: Config; clock: Clock; log: FastifyBaseLogger }): Promise<KeyRing> {
  const { db, config, clock, log } = deps
  const keys = configuredKeys(config)
  const rows = await recordPublication(db, keys.map(publishedKeyOf), new Date(clock.now()), {
    delayMs: config.keys.jwksMaxAgeMs,
    firstSignsAtOnce: config.jwt.secret === undefined,
  })
  const schedule = scheduleOf(keys, rows) as ScheduledKey[]
  const now = clock.now()
  for (const key of schedule) {
    if (key.signsFrom > now) {
      log.info({ kid: key.kid, alg: key.alg, signsFrom: new Date(key.signsFrom).toISOString() }, 'signing key published; it signs once verifiers have had JWKS_MAX_AGE to see it')
    }
  }
  const ring = createKeyRing({
    keys,
    schedule,
    secret: hs256Secret(config),
    issuer: config.jwt.issuer,
    audience: config.jwt.audience,
    onSignerChange: (signer) => {
      const key = signer.kid ?? 'the HS256 secret'
      if (signer.eligible) {
        log.info({ key, alg: signer.alg }, 'signing access tokens with this key')
        return
      }
      log.warn(
        { key, alg: signer.alg },
        '!!! No configured signing key has been published for JWKS_MAX_AGE yet (was the signing key removed too early?). ' +
          'Signing with the key published longest ago: verifiers whose cached JWKS lacks it refuse its tokens until they fetch the JWKS again. ' +
          'Put the previous key back until `keyturn keys status` says it is safe to remove. !!!',
      )
    },
  })
  ring.signerAt(now)
  return ring
}
