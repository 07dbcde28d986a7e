import { randomBytes } from 'node:crypto'
import type { Config } from '../config.js'
import { configuredKeys } from '../config/sections/keys.js'

/**
 * The HS256 key: JWT_SECRET, or outside production a random one that dies
 * with the process (tokens are void after a restart; the start says so).
 * Production without one never gets here: loadConfig({ signs: true }) refuses it.
 */
export function signingSecret(config: Config): { secret: string; ephemeral: boolean } {
  if (config.jwt.secret !== undefined) return { secret: config.jwt.secret, ephemeral: false }
  return { secret: randomBytes(48).toString('base64url'), ephemeral: true }
}

/**
 * The HS256 key of the key ring: JWT_SECRET when set; none when JWT_KEYS gives
 * keys without it (nothing is then signed or verified with HS256); otherwise
 * the development key above.
 */
export function hs256Secret(config: Config): string | undefined {
  if (config.jwt.secret !== undefined) return config.jwt.secret
  return configuredKeys(config).length > 0 ? undefined : signingSecret(config).secret
}
