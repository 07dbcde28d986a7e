import { createStaticTokenCheck } from './static-tokens.js'
import type { SecurityCheck } from './security.js'

/**
 * The introspectionToken scheme of /verify: with INTROSPECTION_TOKENS set, one
 * of them is required (so the check runs for every request, credential or
 * not); unset, /verify is open and there is nothing to check.
 */
export function introspectionCredential(tokens: readonly string[]): SecurityCheck {
  const check = createStaticTokenCheck(tokens, { what: 'an introspection credential' })
  return {
    presented: () => tokens.length > 0,
    check: async (request) => check(request),
  }
}
