import type { ValidateFunction } from 'ajv'
import type { Config } from '../config.js'
import { MAX_PROFILE_CLAIM_BYTES } from '../config/sections/profile.js'
import { problem, type FieldError } from '../errors.js'
import { createAjv, toFieldErrors } from '../http/validation.js'

/** A user's app-specific fields (users.profile), as PROFILE_SCHEMA_FILE declares them. */
export type Profile = Record<string, unknown>
type ProfileConfig = Config['profile']

/** One compiled validator per configured schema (the config is frozen, so its schema object is the key). */
const validators = new WeakMap<object, ValidateFunction>()

function validatorFor(schema: object): ValidateFunction {
  let validate = validators.get(schema)
  if (!validate) validators.set(schema, (validate = createAjv().compile(schema)))
  return validate
}

const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8')

/**
 * What is wrong with a whole profile under the configuration, as field errors
 * under `at`: the schema (its `required` included; with ajv's defaults
 * filled in), PROFILE_MAX_BYTES, and the size of what PROFILE_CLAIMS copies
 * into every access token. Without a schema there are no fields.
 */
export function profileErrors(config: ProfileConfig, profile: Profile, at = '/profile'): FieldError[] {
  if (!config.schema) {
    return Object.keys(profile).map((name) => ({ pointer: `${at}/${name}`, code: 'unknown_field', detail: 'is not a known field (PROFILE_SCHEMA_FILE declares none)' }))
  }
  const validate = validatorFor(config.schema)
  if (!validate(profile)) return toFieldErrors(validate.errors ?? []).map((error) => ({ ...error, pointer: `${at}${error.pointer}` }))
  if (jsonBytes(profile) > config.maxBytes) {
    return [{ pointer: at, code: 'too_long', detail: `must be at most ${config.maxBytes} bytes as JSON (PROFILE_MAX_BYTES)` }]
  }
  const claims = profileClaims(config, profile)
  if (claims && jsonBytes(claims) > MAX_PROFILE_CLAIM_BYTES) {
    const detail = `the fields copied into access tokens (${config.claims.join(', ')}) must be at most ${MAX_PROFILE_CLAIM_BYTES} bytes as JSON together`
    return [{ pointer: at, code: 'too_long', detail }]
  }
  return []
}

/** The profile if it passes; a validation_failed problem naming each field otherwise. */
export function acceptProfile(config: ProfileConfig, profile: Profile): Profile {
  const errors = profileErrors(config, profile)
  if (errors.length > 0) {
    throw problem('validation_failed', { errors, detail: errors.map((error) => `${error.pointer}: ${error.detail}`).join('; ') })
  }
  return profile
}

/**
 * A JSON merge patch (RFC 7396) of the top-level fields: a field given
 * replaces its value, objects included (so a nested value is never half
 * old, half new); null removes the field.
 */
export function mergeProfile(stored: Profile, patch: Profile): Profile {
  const merged: Profile = { ...stored }
  for (const [name, value] of Object.entries(patch)) {
    if (value === null) delete merged[name]
    else merged[name] = value
  }
  return merged
}

/** The `profile` claim of access tokens: the PROFILE_CLAIMS fields the profile has; undefined when none are configured. */
export function profileClaims(config: ProfileConfig, profile: Profile): Profile | undefined {
  if (config.claims.length === 0) return undefined
  return Object.fromEntries(config.claims.filter((name) => Object.hasOwn(profile, name)).map((name) => [name, profile[name]]))
}
