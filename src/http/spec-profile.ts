type JsonObject = { [key: string]: unknown }

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * openapi.yaml with PROFILE_SCHEMA_FILE's schema in place of the field-less
 * Profile, so validation and the served document (and the clients generated
 * from it) know the configured fields. Pure: the document given is left as it
 * is; without a schema it is returned unchanged (served as written).
 *
 * - Profile (registration, `user.profile`): the schema, minus its top-level
 *   `required`, which responses cannot promise for profiles stored before a
 *   field became required; requests are checked against the whole schema by
 *   the service (services/profile.ts), and registration requires `profile`
 *   when the schema requires fields.
 * - ProfilePatch (PATCH /me): the same fields, each also null (a merge patch
 *   removes a field set to null), none required.
 * - ProfileClaims (`profile` in /verify): the PROFILE_CLAIMS fields.
 */
export function withProfileSchema(document: JsonObject, schema: JsonObject | undefined, claims: readonly string[] = []): JsonObject {
  if (!schema) return document
  const served = structuredClone(document)
  const schemas = (served.components as { schemas: Record<string, JsonObject> }).schemas
  const { required, ...fields } = structuredClone(schema)
  const properties = isObject(fields.properties) ? fields.properties : {}
  const described = (name: string) => ({ description: schemas[name]!.description })

  schemas.Profile = { ...described('Profile'), ...fields }
  schemas.ProfilePatch = {
    ...described('ProfilePatch'),
    ...fields,
    properties: Object.fromEntries(Object.entries(properties).map(([name, property]) => [name, orNull(property)])),
    ...(isObject(fields.additionalProperties) ? { additionalProperties: orNull(fields.additionalProperties) } : {}),
    ...(isObject(fields.patternProperties)
      ? { patternProperties: Object.fromEntries(Object.entries(fields.patternProperties).map(([key, value]) => [key, orNull(value)])) }
      : {}),
  }
  schemas.ProfileClaims = {
    ...described('ProfileClaims'),
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries(claims.filter((name) => name in properties).map((name) => [name, properties[name]])),
  }
  if (Array.isArray(required) && required.length > 0) {
    const register = schemas.RegisterRequest!
    register.required = [...new Set([...((register.required as string[] | undefined) ?? []), 'profile'])]
  }
  return served
}

/** A field's schema, or null (a merge patch's "remove this field"). */
function orNull(schema: unknown): JsonObject {
  return { anyOf: [schema, { type: 'null' }] }
}
