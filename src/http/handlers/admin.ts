import type { FastifyRequest } from 'fastify'
import {
  activateUser,
  deactivateUser,
  deleteUser,
  endUserSessions,
  getUser,
  listUsers,
  sendPasswordReset,
  type Acting,
} from '../../services/admin-users.js'
import { readAuditLog, readOwnEvents } from '../../services/audit-log.js'
import { adminActorOf } from '../admin-authenticate.js'
import { authOf } from '../authenticate.js'
import { clientOf, type HandlerContext, type Handlers } from './context.js'

type Page = { cursor?: string; limit: number }

/** The admin API (/v1/admin/): who may call it is settled by adminActorOf, first in each. */
export function adminHandlers({ deps }: HandlerContext): Handlers {
  const acting = async (request: FastifyRequest): Promise<Acting> => ({ actor: await adminActorOf(deps, request), client: clientOf(request) })
  const userId = (request: FastifyRequest) => Number((request.params as { id: string }).id)

  return {
    async adminListUsers(request) {
      await acting(request)
      return listUsers(deps, request.query as Page & { query?: string })
    },

    async adminGetUser(request) {
      await acting(request)
      return getUser(deps, userId(request))
    },

    async adminDeactivateUser(request) {
      return deactivateUser(deps, await acting(request), userId(request))
    },

    async adminActivateUser(request) {
      return activateUser(deps, await acting(request), userId(request))
    },

    async adminDeleteUser(request, reply) {
      await deleteUser(deps, await acting(request), userId(request))
      return reply.code(204).send()
    },

    async adminEndUserSessions(request, reply) {
      const { session } = request.query as { session?: string }
      await endUserSessions(deps, await acting(request), userId(request), session)
      return reply.code(204).send()
    },

    async adminSendPasswordReset(request, reply) {
      await sendPasswordReset(deps, await acting(request), userId(request))
      return reply.code(202).send({ status: 'accepted', detail: 'A link to reset the password was mailed to the user.' })
    },

    async adminReadAuditLog(request) {
      await acting(request)
      return readAuditLog(deps, request.query as Page & { user?: number; type?: string })
    },

    async getMyEvents(request) {
      return readOwnEvents(deps, Number(authOf(request).sub), request.query as Page & { type?: string })
    },
  }
}
