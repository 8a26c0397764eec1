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

/** An onRequest hook that refuses every peer outside the trusted CIDRs, before any route runs. */
export function requireTrustedPeer(trusted: TrustedCidrs) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!trusted.isTrusted(request.socket.remoteAddress ?? '')) await sendForbidden(reply);
  };
}
