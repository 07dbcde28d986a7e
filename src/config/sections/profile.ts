import type { Config } from '../../config.js'
import { createAjv } from '../../http/validation.js'
import { integer, parseList, readNamedFile } from '../parsers.js'
import { optional, variable } from '../variable.js'

export type JsonObject = { [key: string]: unknown }

/** At most this many fields are copied into access tokens, which travel in every request's headers. */
export const MAX_PROFILE_CLAIMS = 16
/** The copied fields together, as JSON, at most this many bytes (checked whenever a profile is written). */
export const MAX_PROFILE_CLAIM_BYTES = 1024

/**
 * PROFILE_SCHEMA_FILE: a JSON Schema 2020-12 (OpenAPI 3.1's dialect) of type
 * object, checked against ajv's meta-schema and compiled by the validator the
 * API uses, so a schema that would fail at the first request fails at start.
 * It must be self-contained (no `$ref`): it is embedded in the served spec.
 * Without additionalProperties or unevaluatedProperties of its own, unknown
 * fields are refused, as everywhere else in the API.
 */
function readProfileSchema(raw: string): JsonObject {
  const { file, text } = readNamedFile(raw)
  let schema: unknown
  try {
    schema = JSON.parse(text)
  } catch (error) {
    throw new Error(`is not JSON (${file}: ${(error as Error).message})`)
  }
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) throw new Error(`must hold a JSON Schema object (${file})`)
  const { $schema, $id: _id, ...rest } = schema as JsonObject
  if ($schema !== undefined && $schema !== 'https://json-schema.org/draft/2020-12/schema') {
    throw new Error(`must be a JSON Schema 2020-12, OpenAPI 3.1's dialect ($schema is ${JSON.stringify($schema)} in ${file})`)
  }
  if (rest.type !== 'object') throw new Error(`must describe an object ("type": "object" at the top, in ${file})`)
  const reference = findReference(rest, '')
  if (reference) throw new Error(`must be self-contained: ${reference} uses $ref (inline the definition, in ${file})`)
  const ajv = createAjv()
  if (!ajv.validateSchema(rest)) {
    const [first] = ajv.errors ?? []
    throw new Error(`is not a valid JSON Schema: ${first?.instancePath || '/'} ${first?.message ?? 'is not valid'} (${file})`)
  }
  try {
    ajv.compile(rest)
  } catch (error) {
    throw new Error(`cannot be used: ${(error as Error).message} (${file})`)
  }
  const closed = 'additionalProperties' in rest || 'unevaluatedProperties' in rest ? rest : { ...rest, unevaluatedProperties: false }
  return closed
}

/** The JSON Pointer of the first `$ref`, `$dynamicRef` or `$recursiveRef`, if any. */
function findReference(node: unknown, at: string): string | undefined {
  if (Array.isArray(node)) {
    for (const [index, item] of node.entries()) {
      const found = findReference(item, `${at}/${index}`)
      if (found) return found
    }
    return undefined
  }
  if (typeof node !== 'object' || node === null) return undefined
  for (const [key, value] of Object.entries(node)) {
    if (['$ref', '$dynamicRef', '$recursiveRef'].includes(key)) return at || '/'
    const found = findReference(value, `${at}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`)
    if (found) return found
  }
  return undefined
}

function parseClaimNames(raw: string): string[] {
  const names = parseList(raw)
  if (names.length > MAX_PROFILE_CLAIMS) throw new Error(`must name at most ${MAX_PROFILE_CLAIMS} fields (got ${names.length})`)
  if (new Set(names).size !== names.length) throw new Error('names a field twice')
  return names
}

export const profileVariables = {
  profile: {
    schema: optional('PROFILE_SCHEMA_FILE', readProfileSchema, {
      defaultDoc: 'unset: no profile fields',
      doc:
        'a JSON Schema (2020-12, `"type": "object"`, no `$ref`) of app-specific user fields, e.g. `phone_number`: ' +
        '`profile` in registration, `PATCH /v1/auth/me` and `user.profile`, validated against it and served in ' +
        '`/openapi.yaml`; unknown fields are refused unless it says otherwise. Unset: `profile` takes no fields',
    }),
    claims: variable('PROFILE_CLAIMS', parseClaimNames, {
      default: { value: [], doc: 'unset: none' },
      doc:
        `profile fields copied into access tokens (and \`/verify\`) as the \`profile\` claim, comma-separated: ` +
        `properties of PROFILE_SCHEMA_FILE, at most ${MAX_PROFILE_CLAIMS}; together at most ${MAX_PROFILE_CLAIM_BYTES} bytes ` +
        'of JSON, checked when a profile is written',
    }),
    maxBytes: variable('PROFILE_MAX_BYTES', integer({ min: 64, max: 16_384 }), {
      default: '4096',
      doc: 'the largest profile stored, in bytes of JSON (64 to 16384)',
    }),
  },
}

/** PROFILE_CLAIMS can only copy fields PROFILE_SCHEMA_FILE declares. */
export function profileClaimsProblem({ profile }: Config): string | undefined {
  if (profile.claims.length === 0) return undefined
  if (!profile.schema) return 'PROFILE_CLAIMS needs PROFILE_SCHEMA_FILE: only fields the schema declares can be copied into tokens'
  const properties = (profile.schema.properties ?? {}) as JsonObject
  const unknown = profile.claims.filter((name) => !Object.hasOwn(properties, name))
  return unknown.length > 0
    ? `PROFILE_CLAIMS names fields PROFILE_SCHEMA_FILE does not declare under "properties": ${unknown.join(', ')}`
    : undefined
}
