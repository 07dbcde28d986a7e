import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import type { FastifySchemaCompiler } from 'fastify'
import type { FieldCode, FieldError } from '../errors.js'

/**
 * openapi.yaml is OpenAPI 3.1, whose schemas are JSON Schema 2020-12: validate
 * with ajv's 2020 dialect. No type coercion and no silent removal of unknown
 * fields: a wrong type or an extra field is a 400 the client can fix.
 * `verbose` keeps the failing schema on each error, for its
 * `x-keyturn-pattern-message`.
 */
export function createAjv({ coerceTypes = false } = {}): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, coerceTypes, useDefaults: true, removeAdditional: false, verbose: true })
  addFormats.default(ajv)
  // keyturn's own annotations (see routes.ts and toFieldErrors); nothing for ajv to check.
  ajv.addKeyword('x-keyturn-normalize')
  ajv.addKeyword('x-keyturn-pattern-message')
  return ajv
}

/**
 * Bodies are JSON and keep their types; a query string or path is text, so
 * there (only there) `wait=5` is read as the integer the spec declares.
 */
export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const strict = createAjv()
  const fromText = createAjv({ coerceTypes: true })
  return ({ schema, httpPart }) =>
    (httpPart === 'querystring' || httpPart === 'params' ? fromText : strict).compile(schema as object)
}

const codes: Record<string, FieldCode> = {
  required: 'required',
  dependentRequired: 'required',
  additionalProperties: 'unknown_field',
  unevaluatedProperties: 'unknown_field',
  type: 'invalid_type',
  minLength: 'too_short',
  maxLength: 'too_long',
  format: 'invalid_format',
  pattern: 'invalid_format',
  enum: 'invalid_choice',
  const: 'invalid_choice',
  minimum: 'out_of_range',
  maximum: 'out_of_range',
}

/** A sentence about the field for the keywords people meet most; ajv's own otherwise. */
function describe(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>
  switch (error.keyword) {
    case 'required':
    case 'dependentRequired':
      return 'is required'
    case 'additionalProperties':
    case 'unevaluatedProperties':
      return 'is not a known field'
    case 'type':
      return error.instancePath === '' ? 'the body must be a JSON object' : `must be ${String(params.type).replace(',', ' or ')}`
    case 'enum':
      return `must be one of: ${(params.allowedValues as unknown[]).join(', ')}`
    case 'minLength':
      return params.limit === 1 ? 'must not be empty' : `must be at least ${String(params.limit)} characters`
    case 'maxLength':
      return `must be at most ${String(params.limit)} characters`
    case 'format':
      return params.format === 'email' ? 'must be an email address' : `must be a valid ${String(params.format)}`
    case 'pattern': {
      const message = (error.parentSchema as Record<string, unknown> | undefined)?.['x-keyturn-pattern-message']
      return typeof message === 'string' ? message : (error.message ?? 'is not valid')
    }
    default:
      return error.message ?? 'is not valid'
  }
}

/** ajv's errors as RFC 9457 field errors: a JSON Pointer to the field, a code, a sentence. */
export function toFieldErrors(errors: ErrorObject[]): FieldError[] {
  const fieldErrors: FieldError[] = []
  for (const error of errors) {
    // anyOf reports each branch, then itself; the branches say more.
    if (error.keyword === 'anyOf') continue
    let pointer = error.instancePath
    // dependentRequired: a field another one needs (current_password beside email).
    if (error.keyword === 'required' || error.keyword === 'dependentRequired') {
      pointer += `/${(error.params as { missingProperty: string }).missingProperty}`
    }
    if (error.keyword === 'additionalProperties') pointer += `/${(error.params as { additionalProperty: string }).additionalProperty}`
    // A profile schema's (PROFILE_SCHEMA_FILE) own way of refusing unknown fields.
    if (error.keyword === 'unevaluatedProperties') pointer += `/${(error.params as { unevaluatedProperty: string }).unevaluatedProperty}`
    const fieldError: FieldError = { pointer, code: codes[error.keyword] ?? 'invalid', detail: describe(error) }
    if (!fieldErrors.some((seen) => seen.pointer === pointer && seen.code === fieldError.code)) fieldErrors.push(fieldError)
  }
  return fieldErrors
}
