import { getMe, updateMe, type ProfileChanges } from '../../services/account.js'
import { changePassword, type PasswordChange } from '../../services/password-change.js'
import { confirmPasswordReset, requestPasswordReset, type ResetConfirmation } from '../../services/password-reset.js'
import { resendVerification, verifyEmail } from '../../services/email-verification.js'
import { endOwnSession, listSessions } from '../../services/sessions.js'
import { authOf } from '../authenticate.js'
import { clientOf, type HandlerContext, type Handlers } from './context.js'

/** The signed-in user: their account, password and sessions. */
export function accountHandlers({ deps }: HandlerContext): Handlers {
  return {
    async getMe(request) {
      return getMe(deps, authOf(request))
    },

    async updateMe(request) {
      return updateMe(deps, authOf(request), request.body as ProfileChanges, clientOf(request))
    },

    async changePassword(request, reply) {
      await changePassword(deps, authOf(request), request.body as PasswordChange, clientOf(request))
      return reply.code(204).send()
    },

    async requestPasswordReset(request, reply) {
      requestPasswordReset(deps, (request.body as { email: string }).email, clientOf(request))
      return reply.code(202).send({
        status: 'accepted',
        detail: 'If an account has this email address, a link to reset its password is on its way.',
      })
    },

    async confirmPasswordReset(request, reply) {
      await confirmPasswordReset(deps, request.body as ResetConfirmation, clientOf(request))
      return reply.code(204).send()
    },

    async verifyEmail(request) {
      return verifyEmail(deps, (request.body as { token: string }).token)
    },

    async resendEmailVerification(request, reply) {
      resendVerification(deps, (request.body as { email: string }).email)
      return reply.code(202).send({
        status: 'accepted',
        detail: 'If an account is waiting to verify this address, a new link is on its way.',
      })
    },

    async listSessions(request) {
      return listSessions(deps, authOf(request))
    },

    async endSession(request, reply) {
      await endOwnSession(deps, authOf(request), (request.params as { id: string }).id, clientOf(request))
      return reply.code(204).send()
    },
  }
}
