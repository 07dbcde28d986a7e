/** A user's primary address as allauth recorded it. */
export interface PrimaryAddress {
  email: string
  verified: boolean
}

export interface AllauthAddresses {
  /** By user id (the `user` foreign key, Django's pk of the user). */
  primaries: Map<number, PrimaryAddress>
  /** Records that are not email addresses of a user by pk: "record 3: ...". */
  invalid: string[]
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * `manage.py dumpdata account.emailaddress` (django-allauth): records
 * `{model, pk, fields: {user, email, verified, primary}}`. keyturn keeps one
 * address per user, the primary one. A natural-key dump (`--natural-foreign`,
 * `user` as a list) is refused record by record: the user must be named by pk.
 */
export function primaryAddresses(records: unknown[]): AllauthAddresses {
  const primaries = new Map<number, PrimaryAddress>()
  const invalid: string[] = []
  records.forEach((record, index) => {
    const fields = isObject(record) && isObject(record.fields) ? record.fields : undefined
    const problem = !fields
      ? 'not a dumpdata record with fields'
      : typeof fields.user !== 'number' || !Number.isSafeInteger(fields.user)
        ? 'user is not a user pk (dump without --natural-foreign)'
        : typeof fields.email !== 'string' || fields.email.trim() === ''
          ? 'email is missing or not a string'
          : typeof fields.verified !== 'boolean' || typeof fields.primary !== 'boolean'
            ? 'verified or primary is not true or false'
            : undefined
    if (problem) {
      invalid.push(`record ${index + 1}: ${problem}`)
      return
    }
    const { user, email, verified, primary } = fields as { user: number; email: string; verified: boolean; primary: boolean }
    // allauth allows one primary address per user; a second one would be a broken table, and the first stays.
    if (primary && !primaries.has(user)) primaries.set(user, { email, verified })
  })
  return { primaries, invalid }
}
