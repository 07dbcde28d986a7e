import { randomBytes } from 'node:crypto'
import type { Config } from '../config.js'

/**
 * The HS256 key: JWT_SECRET, or outside production a random one that dies
 * with the process (tokens are void after a restart; the start says so).
 * Production without one never gets here: loadConfig({ signs: true }) refuses it.
 */
export function signingSecret(config: Config): { secret: string; ephemeral: boolean } {
  if (config.jwt.secret !== undefined) return { secret: config.jwt.secret, ephemeral: false }
  return { secret: randomBytes(48).toString('base64url'), ephemeral: true }
}
