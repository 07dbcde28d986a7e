import type { Clock } from '../clock.js'
import type { Config } from '../config.js'
import type { PasswordHasher } from '../crypto/passwords.js'
import type { Db } from '../db/create-db.js'
import type { AccessTokens } from '../tokens/access-token.js'
import type { Mailer } from '../mail/mailer.js'
import type { Denylist } from '../tokens/denylist.js'
import type { KeyRing } from '../tokens/key-ring.js'
import type { SuccessorSeal } from '../tokens/successor-seal.js'
import type { BackgroundTasks } from './background.js'
import type { EmitEvent } from './security-events.js'
import type { UserCache } from './user-cache.js'

/** What the services work with; built once in app.ts, passed explicitly. */
export interface ServiceDeps {
  db: Db
  config: Config
  clock: Clock
  passwords: PasswordHasher
  accessTokens: AccessTokens
  /** The signing and verification keys (JWT_KEYS, JWT_SECRET) and the JWKS. */
  keys: KeyRing
  denylist: Denylist
  users: UserCache
  successorSeal: SuccessorSeal
  mailer: Mailer
  /** Work done after the response (mails). */
  background: BackgroundTasks
  /** Reports a security event: audit log, log line, metrics (security-events.ts). */
  emit: EmitEvent
  /** Writes the audit events this instance still buffers, before reading the log back. */
  flushAudit: () => Promise<void>
}

/** Where a request came from, recorded on the session it starts. */
export interface ClientInfo {
  ip: string | null
  userAgent: string | null
}
