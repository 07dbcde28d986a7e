import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import type { FastifySchemaCompiler } from 'fastify'
import type { FieldError } from '../errors.js'

/**
 * openapi.yaml is OpenAPI 3.1, whose schemas are JSON Schema 2020-12: validate
 * requests with ajv's 2020 dialect. No type coercion and no silent removal of
 * unknown fields: a wrong type or an extra field is a 400 the client can fix.
 */
export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const ajv = new Ajv2020({ allErrors: true, coerceTypes: false, useDefaults: true, removeAdditional: false })
  addFormats.default(ajv)
  // keyturn's own annotation (see routes.ts); nothing for ajv to check.
  ajv.addKeyword('x-keyturn-normalize')
  return ({ schema }) => ajv.compile(schema as object)
}

const codes: Record<string, string> = {
  required: 'required',
  additionalProperties: 'unknown_field',
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

/** ajv's errors as RFC 9457 field errors: a JSON Pointer to the field, a code, a sentence. */
export function toFieldErrors(errors: ErrorObject[]): FieldError[] {
  const fieldErrors: FieldError[] = []
  for (const error of errors) {
    // anyOf reports each branch, then itself; the branches say more.
    if (error.keyword === 'anyOf') continue
    let pointer = error.instancePath
    let detail = error.message ?? 'is not valid'
    if (error.keyword === 'required') {
      pointer += `/${(error.params as { missingProperty: string }).missingProperty}`
      detail = 'is required'
    } else if (error.keyword === 'additionalProperties') {
      pointer += `/${(error.params as { additionalProperty: string }).additionalProperty}`
      detail = 'is not a known field'
    } else if (error.keyword === 'type' && pointer === '') {
      detail = 'the body must be a JSON object'
    } else if (error.keyword === 'enum') {
      detail = `must be one of: ${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`
    }
    const fieldError = { pointer, code: codes[error.keyword] ?? error.keyword, detail }
    if (!fieldErrors.some((seen) => seen.pointer === pointer && seen.code === fieldError.code)) fieldErrors.push(fieldError)
  }
  return fieldErrors
}
