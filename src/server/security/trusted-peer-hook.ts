import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TrustedCidrs } from './trusted-cidrs.js';

/** The original's refusal, byte for byte (Go's http.Error adds the newline). */
export function sendForbidden(reply: FastifyReply): FastifyReply {
  return reply
    .code(403)
    .header('content-type', 'text/plain; charset=utf-8')
    .header('x-content-type-options', 'nosniff')
    .send('forbidden\n');
}

/**
 * An onRequest hook that refuses every peer outside the trusted CIDRs, before any route runs.
 *
 * A refused WebSocket upgrade leaves a raw socket that no HTTP parser reads any more (Node pauses it
 * for the upgrade), so it would never see the peer's FIN and would hold up the server's close:
 * destroy it once the 403 is written.
 */
export function requireTrustedPeer(trusted: TrustedCidrs) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (trusted.isTrusted(request.socket.remoteAddress ?? '')) return;
    if (request.headers.upgrade !== undefined) {
      const socket = request.raw.socket;
      reply.raw.once('finish', () => socket.destroy());
    }
    await sendForbidden(reply);
  };
}
