import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HostAllowlist } from './host-allowlist.js';
import type { TrustedCidrs } from './trusted-cidrs.js';

/** A plain-text 403 in the original's style (Go's http.Error adds the newline). */
function sendPlainForbidden(reply: FastifyReply, text: string): FastifyReply {
  return reply
    .code(403)
    .header('content-type', 'text/plain; charset=utf-8')
    .header('x-content-type-options', 'nosniff')
    .send(`${text}\n`);
}

/** The original's refusal, byte for byte. */
export function sendForbidden(reply: FastifyReply): FastifyReply {
  return sendPlainForbidden(reply, 'forbidden');
}

/**
 * A refused WebSocket upgrade leaves a raw socket that no HTTP parser reads any more (Node pauses it
 * for the upgrade), so it would never see the peer's FIN and would hold up the server's close:
 * destroy it once the 403 is written.
 */
function destroyAfterRefusal(request: FastifyRequest, reply: FastifyReply): void {
  if (request.headers.upgrade === undefined) return;
  const socket = request.raw.socket;
  reply.raw.once('finish', () => socket.destroy());
}

/** An onRequest hook that refuses every peer outside the trusted CIDRs, before any route runs. */
export function requireTrustedPeer(trusted: TrustedCidrs) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (trusted.isTrusted(request.socket.remoteAddress ?? '')) return;
    destroyAfterRefusal(request, reply);
    await sendForbidden(reply);
  };
}

/**
 * An onRequest hook of the standalone sticky-overseer that refuses a `Host` that is not ours (DNS
 * rebinding: a page on another name resolving to 127.0.0.1), before the upgrade. `claudeman web`
 * makes the same check in its access hook, with the API's JSON error body.
 */
export function requireOwnHost(hosts: HostAllowlist) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (hosts.allows(request.headers.host)) return;
    destroyAfterRefusal(request, reply);
    await sendPlainForbidden(reply, 'forbidden: host not allowed');
  };
}
