import { parsePrivateJwkSet, type ConfiguredKey } from '../../tokens/jwk.js'
import { duration, readNamedFile } from '../parsers.js'
import { optional, variable, type Env } from '../variable.js'

function readJwkSetFile(raw: string): ConfiguredKey[] {
  return parsePrivateJwkSet(readNamedFile(raw).text)
}

const isSet = (value: string | undefined) => value !== undefined && value.trim() !== ''

export const keyVariables = {
  keys: {
    inline: optional('JWT_KEYS', parsePrivateJwkSet, {
      doc:
        'signing keys: a JWK Set of private EdDSA (Ed25519), ES256 or RS256 keys, each with its own `kid` and `alg`, ' +
        'newest first (`keyturn keys generate` makes one); their public parts are published at `/.well-known/jwks.json`',
    }),
    file: optional('JWT_KEYS_FILE', readJwkSetFile, {
      doc: 'the same JWK Set read from a file (a mounted secret); not together with `JWT_KEYS`',
      check: (_keys, env: Env) =>
        isSet(env.JWT_KEYS) && isSet(env.JWT_KEYS_FILE) ? 'and JWT_KEYS are both set; give the keys in one of them' : undefined,
    }),
    jwksMaxAgeMs: variable('JWKS_MAX_AGE', duration({ max: 86_400_000 }), {
      default: '10m',
      doc:
        'how long verifiers may cache the JWKS (`Cache-Control: max-age`); a new key signs only once it has been ' +
        'published this long, at most `1d`',
    }),
  },
}

/** The configured signing keys, newest first (JWT_KEYS or JWT_KEYS_FILE); none with HS256 alone. */
export function configuredKeys(config: { keys: { inline: readonly ConfiguredKey[] | undefined; file: readonly ConfiguredKey[] | undefined } }): readonly ConfiguredKey[] {
  return config.keys.inline ?? config.keys.file ?? []
}
