import type { FastifyRequest } from 'fastify'
import { pingDatabase } from '../db/health.js'
import { fieldProblem, ProblemError } from '../errors.js'
import { getMe, updateMe, type ProfileChanges } from '../services/account.js'
import { login, logout, register, type LoginInput, type LogoutScope, type RegisterInput } from '../services/auth.js'
import type { ClientInfo, ServiceDeps } from '../services/deps.js'
import { introspect } from '../services/introspect.js'
import { changePassword, type PasswordChange } from '../services/password-change.js'
import { confirmPasswordReset, requestPasswordReset, type ResetConfirmation } from '../services/password-reset.js'
import { endOwnSession, listSessions } from '../services/sessions.js'
import { refreshTokens } from '../services/refresh.js'
import { authOf } from './authenticate.js'
import { docsAsset, docsPage } from './docs.js'
import type { RefreshCookie } from './refresh-cookie.js'
import type { Handler } from './routes.js'

function clientOf(request: FastifyRequest): ClientInfo {
  return { ip: request.ip ?? null, userAgent: request.headers['user-agent'] ?? null }
}

/** One method per operationId of openapi.yaml. The spec has validated every body by the time these run. */
export function createHandlers(deps: ServiceDeps, specText: string, refreshCookie: RefreshCookie): Record<string, Handler> {
  return {
    async register(request, reply) {
      const result = await register(deps, request.body as RegisterInput, clientOf(request))
      return reply.code(201).send(refreshCookie.deliver(reply, result))
    },

    async login(request, reply) {
      return refreshCookie.deliver(reply, await login(deps, request.body as LoginInput, clientOf(request)))
    },

    async refreshTokens(request, reply) {
      const presented = (request.body as { refresh_token?: string }).refresh_token ?? refreshCookie.read(request)
      if (presented === undefined) throw fieldProblem('refresh_token', 'required', 'is required')
      try {
        return refreshCookie.deliver(reply, { tokens: await refreshTokens(deps, presented) })
      } catch (error) {
        // A refresh token that will never work again should not stay in the browser.
        if (error instanceof ProblemError && error.status === 401) refreshCookie.clear(reply)
        throw error
      }
    },

    async logout(request, reply) {
      await logout(deps, authOf(request), (request.body as { scope: LogoutScope }).scope)
      refreshCookie.clear(reply)
      return reply.code(204).send()
    },

    async introspectToken(request) {
      return introspect(deps, (request.body as { token: string }).token)
    },

    async getMe(request) {
      return getMe(deps, authOf(request))
    },

    async updateMe(request) {
      return updateMe(deps, authOf(request), request.body as ProfileChanges)
    },

    async changePassword(request, reply) {
      await changePassword(deps, authOf(request), request.body as PasswordChange)
      return reply.code(204).send()
    },

    async requestPasswordReset(request, reply) {
      requestPasswordReset(deps, (request.body as { email: string }).email)
      return reply.code(202).send({
        status: 'accepted',
        detail: 'If an account has this email address, a link to reset its password is on its way.',
      })
    },

    async confirmPasswordReset(request, reply) {
      await confirmPasswordReset(deps, request.body as ResetConfirmation)
      return reply.code(204).send()
    },

    async listSessions(request) {
      return listSessions(deps, authOf(request))
    },

    async endSession(request, reply) {
      await endOwnSession(deps, authOf(request), (request.params as { id: string }).id)
      return reply.code(204).send()
    },

    async getJwks() {
      return { keys: [] }
    },

    async getHealth() {
      return { status: 'ok' }
    },

    async getReadiness() {
      deps.denylist.assertFresh()
      await pingDatabase(deps.db)
      return { status: 'ok' }
    },

    async getOpenApi(_request, reply) {
      return reply.type('application/yaml; charset=utf-8').send(specText)
    },

    async getDocs(_request, reply) {
      return reply.type('text/html; charset=utf-8').send(docsPage)
    },

    async getDocsAsset(request, reply) {
      const asset = docsAsset((request.params as { file: string }).file)!
      return reply.type(asset.type).header('cache-control', 'public, max-age=86400').send(asset.body)
    },
  }
}
