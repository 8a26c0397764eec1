import type { FastifyInstance } from 'fastify';
import type { SessionManager } from '../../agent/session-manager.js';
import { ApiErrorCode } from '../../api/errors.js';
import type { EventBus } from '../../events/bus.js';
import type { EngineEvent } from '../../events/types.js';
import { sendApiError } from '../api/error-reply.js';
import { TerminalSocket } from './terminal-socket.js';

export interface TerminalRouteOptions {
  readonly sessions: SessionManager;
  readonly bus: EventBus<EngineEvent>;
}

/** `/ws/sessions/:id/terminal`: the live terminal of one session (see TerminalSocket). */
export async function registerTerminalRoute(
  app: FastifyInstance,
  options: TerminalRouteOptions,
): Promise<void> {
  app.route<{ Params: { id: string } }>({
    method: 'GET',
    url: '/ws/sessions/:id/terminal',
    handler: async (_request, reply) =>
      sendApiError(
        reply,
        400,
        ApiErrorCode.BAD_REQUEST,
        'this endpoint is a WebSocket: connect with an upgrade',
      ),
    preHandler: async (request, reply) => {
      if (options.sessions.get(request.params.id) === undefined) {
        return sendApiError(reply, 404, ApiErrorCode.SESSION_NOT_FOUND, `no session ${request.params.id}`);
      }
    },
    wsHandler: (socket, request) => {
      const session = options.sessions.get(request.params.id);
      if (session === undefined) {
        socket.close(4404, 'no such session');
        return;
      }
      new TerminalSocket(socket, session, options.bus);
    },
  });
}
