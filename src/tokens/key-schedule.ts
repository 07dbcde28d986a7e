// Which key signs when: the one rule the service (signing) and `keyturn keys
// status` (reporting) share. Keys are listed newest first; each may sign from
// its recorded `signsFrom` (JWKS_MAX_AGE after any instance first published
// it). At any moment the newest key that may sign does; before any may, the
// HS256 secret does when there is one (the way from HS256 to keys).

export interface ScheduledKey {
  kid: string
  alg: string
  publishedAt: number
  signsFrom: number
}

export interface SignerChoice {
  /** Index into the keys; -1 for the HS256 secret (JWT_SECRET). */
  index: number
  /**
   * False when no key has been published long enough and there is no secret
   * to fall back on (the previous key was removed too early): the pick is then
   * the key published longest ago, the one most verifiers have already seen.
   */
  eligible: boolean
}

export function signerAt(keys: readonly ScheduledKey[], hasSecret: boolean, now: number): SignerChoice {
  for (let index = 0; index < keys.length; index++) {
    if (keys[index]!.signsFrom <= now) return { index, eligible: true }
  }
  if (hasSecret || keys.length === 0) return { index: -1, eligible: true }
  let oldest = 0
  for (let index = 1; index < keys.length; index++) if (keys[index]!.signsFrom < keys[oldest]!.signsFrom) oldest = index
  return { index: oldest, eligible: false }
}

export interface SigningPeriod {
  /** Undefined: signing since before anything was recorded (the HS256 secret). */
  from: number | undefined
  /** Undefined: no newer key takes over; it signs on. */
  until: number | undefined
  /** A newer key could sign before this one could: it never signs. */
  never: boolean
  /**
   * When no token it signed can still be live, nor a cached JWKS lack its
   * successor: `until` + ACCESS_TOKEN_TTL + JWT_LEEWAY + JWKS_MAX_AGE.
   */
  removableAfter: number | undefined
}

/** The period each key signs in (and the secret's, last, when there is one), as the current configuration has it. */
export function signingPeriods(
  keys: readonly ScheduledKey[],
  hasSecret: boolean,
  retireAfterMs: number,
): { keys: SigningPeriod[]; secret: SigningPeriod | undefined } {
  let takeover = Infinity
  const periods = keys.map((key) => {
    const until = takeover
    takeover = Math.min(takeover, key.signsFrom)
    return period(key.signsFrom, until, retireAfterMs)
  })
  return { keys: periods, secret: hasSecret ? period(undefined, takeover, retireAfterMs) : undefined }
}

function period(from: number | undefined, until: number, retireAfterMs: number): SigningPeriod {
  const never = from !== undefined && until <= from
  const ends = Number.isFinite(until)
  return {
    from: never ? undefined : from,
    until: ends && !never ? until : undefined,
    never,
    removableAfter: never ? 0 : ends ? until + retireAfterMs : undefined,
  }
}
