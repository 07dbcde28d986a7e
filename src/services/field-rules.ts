import type { ValidateFunction } from 'ajv'
import type { FieldError } from '../errors.js'
import { loadSpec, resolve } from '../http/spec.js'
import { createAjv, toFieldErrors } from '../http/validation.js'

/** The component schemas of openapi.yaml that describe a user's fields. */
export type FieldRule = 'Username' | 'Email' | 'PersonName'

let compiled: Map<FieldRule, ValidateFunction> | undefined

/**
 * openapi.yaml's own rules for a field, compiled from its component schema by
 * the validator the API uses: a user made outside the API (the CLI, an
 * import) must be one the API could have made, and the rules are written once.
 */
function validatorFor(rule: FieldRule): ValidateFunction {
  if (!compiled) {
    const spec = loadSpec()
    const ajv = createAjv()
    const schemas = (spec.document.components as { schemas: Record<string, unknown> }).schemas
    compiled = new Map(
      (['Username', 'Email', 'PersonName'] as const).map((name) => [name, ajv.compile(resolve(spec.document, schemas[name]) as object)]),
    )
  }
  return compiled.get(rule)!
}

/** What is wrong with a value under a field rule, or undefined when it passes. */
export function fieldRuleProblem(rule: FieldRule, value: unknown): Omit<FieldError, 'pointer'> | undefined {
  const validate = validatorFor(rule)
  if (validate(value)) return undefined
  const [first] = toFieldErrors(validate.errors ?? [])
  return first ? { code: first.code, detail: first.detail } : { code: 'invalid', detail: 'is not valid' }
}
