import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import { generatePrivateJwk, keyAlgorithmNames, type KeyAlgorithm } from '../../tokens/jwk.js'
import { UsageError, type Command } from '../command.js'

/** A kid that sorts by date and cannot collide: 2026-12-01.hVfQ3zW_kE8. */
function freshKid(now: Date): string {
  return `${now.toISOString().slice(0, 10)}.${randomBytes(8).toString('base64url')}`
}

export const keysGenerate: Command = {
  name: 'keys generate',
  summary: 'print a new private signing key (a JWK) for JWT_KEYS',
  help: `Usage: keyturn keys generate [--alg EdDSA|ES256|RS256]

Prints a new private key as a JWK on one line, with a fresh kid, to stdout
and nowhere else: keep it as a secret. It touches no database and no key in
use. --alg picks the algorithm (default EdDSA; ES256 where verifiers cannot
do EdDSA, such as djangorestframework-simplejwt before 5.4; RS256 is 2048-bit).

To rotate, put the new key first in JWT_KEYS' "keys" list, keep the old one
after it, and deploy: it is published at once and signs after JWKS_MAX_AGE.
With jq, for a JWK Set in keys.json:
  jq -c --argjson key "$(keyturn keys generate)" '.keys = [$key] + .keys' keys.json`,

  async run(args, { io }) {
    const { values } = parseArgs({ args, options: { alg: { type: 'string' } } })
    const alg = values.alg ?? 'EdDSA'
    if (!(keyAlgorithmNames as string[]).includes(alg)) {
      throw new UsageError(`--alg must be one of ${keyAlgorithmNames.join(', ')} (got "${alg}")`)
    }
    io.stdout.write(`${JSON.stringify(generatePrivateJwk(alg as KeyAlgorithm, freshKid(new Date())))}\n`)
    return 0
  },
}
