import type { FastifyInstance } from 'fastify';
import { originAllowed } from '../security/origin.js';
import { sendForbidden } from '../security/trusted-peer-hook.js';
import type { OverseerHub } from './hub.js';

export interface OverseerRouteOptions {
  readonly hub: OverseerHub;
}

/**
 * Mounts `/ws` (WebSocket support must be registered on the app first). A browser page from another origin is refused with the original's 403 `forbidden\n`
 * (the trusted-peer check runs before, for every route); a plain GET without the upgrade gets 400.
 */
export async function registerOverseerRoute(
  app: FastifyInstance,
  options: OverseerRouteOptions,
): Promise<void> {
  const { hub } = options;
  app.route({
    method: 'GET',
    url: '/ws',
    handler: async (_request, reply) =>
      reply
        .code(400)
        .header('content-type', 'text/plain; charset=utf-8')
        .send('Bad Request\nwebsocket: the client is not using the websocket protocol\n'),
    preHandler: async (request, reply) => {
      if (request.ws && !originAllowed(request.headers.origin, request.headers.host))
        return sendForbidden(reply);
    },
    wsHandler: (socket) => hub.accept(socket),
  });
}
