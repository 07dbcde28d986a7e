import { isDeepStrictEqual } from 'node:util'
import { stringify } from 'yaml'
import type { Config } from '../config.js'
import { specOf, type JsonObject, type Spec } from './spec.js'
import { withProfileSchema } from './spec-profile.js'

/**
 * One change the configuration makes to openapi.yaml's document: applied in
 * place to a copy, or returning a new document (a pure function such as
 * spec-profile.ts's withProfileSchema fits as it is). The served /openapi.yaml
 * and the request validation are both built from the result, so a generated
 * client matches the running service. Each transform is small and touches
 * only its own schemas.
 */
export type SpecTransform = (document: JsonObject, config: Config) => JsonObject | void

type Schema = { properties?: Record<string, unknown>; required?: string[]; anyOf?: unknown; description?: string }

function schemaOf(document: JsonObject, name: string): Schema {
  const schema = ((document.components as JsonObject).schemas as Record<string, Schema>)[name]
  if (!schema) throw new Error(`openapi.yaml: no component schema ${name}`)
  return schema
}

/** Replaces a component schema (a profile helper plugs PROFILE_SCHEMA_FILE in as `Profile` this way). */
export function replaceComponentSchema(document: JsonObject, name: string, schema: JsonObject): void {
  schemaOf(document, name)
  ;((document.components as JsonObject).schemas as Record<string, unknown>)[name] = schema
}

/** A fresh object each time: a shared one would be written as a YAML alias. */
const emailRequired = () => ({ $ref: '#/components/schemas/Email' })

/** LOGIN_FIELDS: which name registration takes and which field a login sends. */
export const loginFieldsTransform: SpecTransform = (document, config) => {
  const fields = config.accounts.loginFields
  if (fields === 'username,email') return
  const register = schemaOf(document, 'RegisterRequest')
  const login = schemaOf(document, 'LoginRequest')
  delete login.anyOf
  if (fields === 'username') {
    delete login.properties!.email
    login.required = ['username', 'password']
    login.description = 'LOGIN_FIELDS=username: the username signs in; an email never does.'
    return
  }
  delete register.properties!.username
  register.properties!.email = emailRequired()
  register.required = ['email', 'password']
  delete login.properties!.username
  login.required = ['email', 'password']
  login.description = 'LOGIN_FIELDS=email: the account\'s email signs in.'
  // The address is the account's only name: it can be changed, not removed.
  const update = schemaOf(document, 'ProfileUpdate')
  update.properties!.email = { ...emailRequired(), description: 'LOGIN_FIELDS=email: the login name; it can be changed, not removed.' }
}

/** EMAIL_VERIFICATION=mandatory: registration needs an address to verify. */
export const emailVerificationTransform: SpecTransform = (document, config) => {
  if (config.accounts.emailVerification !== 'mandatory') return
  const register = schemaOf(document, 'RegisterRequest')
  register.properties!.email = emailRequired()
  if (!register.required!.includes('email')) register.required = [...register.required!, 'email']
}

/**
 * The served document's `servers` say where this keyturn is reached, so that
 * /docs' "Try it out" and clients generated from it call it there. The file's
 * own entry is relative (`/`: wherever the document was read from); with
 * PUBLIC_URL set (a proxy, a prefix, another host) it names PUBLIC_URL.
 */
export const serversTransform: SpecTransform = (document, config) => {
  if (config.http.publicUrl) document.servers = [{ url: config.http.publicUrl, description: 'PUBLIC_URL' }]
}

/** PROFILE_SCHEMA_FILE and PROFILE_CLAIMS: the configured fields in place of the field-less Profile (spec-profile.ts); after LOGIN_FIELDS, which sets RegisterRequest's required fields. */
export const profileTransform: SpecTransform = (document, config) => {
  Object.assign(document, withProfileSchema(document, config.profile.schema, config.profile.claims))
}

export const specTransforms: SpecTransform[] = [loginFieldsTransform, emailVerificationTransform, profileTransform, serversTransform]

/**
 * openapi.yaml as this configuration serves and validates it: a copy with
 * every transform applied. Unchanged, it is served as written, comments included.
 */
export function servedSpec(written: Spec, config: Config, transforms: readonly SpecTransform[] = specTransforms): Spec {
  let document = structuredClone(written.document)
  for (const transform of transforms) document = transform(document, config) ?? document
  if (isDeepStrictEqual(document, written.document)) return written
  return specOf(document, stringify(document, { lineWidth: 0 }))
}
