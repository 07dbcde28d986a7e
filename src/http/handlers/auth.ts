import { fieldProblem, ProblemError } from '../../errors.js'
import { login, logout, register, type LoginInput, type LogoutScope, type RegisterInput } from '../../services/auth.js'
import { introspect } from '../../services/introspect.js'
import { refreshTokens } from '../../services/refresh.js'
import { sessionOf } from '../authenticate.js'
import { clientOf, type HandlerContext, type Handlers } from './context.js'

/** Signing in and out, and what tokens are worth. */
export function authHandlers({ deps, refreshCookie }: HandlerContext): Handlers {
  return {
    async register(request, reply) {
      const result = await register(deps, request.body as RegisterInput, clientOf(request))
      if (!('tokens' in result)) {
        return reply.code(202).send({ ...result, detail: 'The account exists; follow the link mailed to its address, then sign in.' })
      }
      return reply.code(201).send(refreshCookie.deliver(reply, result))
    },

    async login(request, reply) {
      return refreshCookie.deliver(reply, await login(deps, request.body as LoginInput, clientOf(request)))
    },

    async refreshTokens(request, reply) {
      const presented = (request.body as { refresh_token?: string }).refresh_token ?? refreshCookie.read(request)
      if (presented === undefined) throw fieldProblem('refresh_token', 'required', 'is required')
      try {
        return refreshCookie.deliver(reply, { tokens: await refreshTokens(deps, presented, clientOf(request)) })
      } catch (error) {
        // A refresh token that will never work again should not stay in the browser.
        if (error instanceof ProblemError && error.status === 401) refreshCookie.clear(reply)
        throw error
      }
    },

    async logout(request, reply) {
      await logout(deps, sessionOf(request), (request.body as { scope: LogoutScope }).scope, clientOf(request))
      refreshCookie.clear(reply)
      return reply.code(204).send()
    },

    async introspectToken(request) {
      return introspect(deps, (request.body as { token: string }).token)
    },
  }
}
