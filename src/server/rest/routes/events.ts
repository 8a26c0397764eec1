import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import Type from 'typebox';
import { ApiErrorCode } from '../../../protocol/errors.js';
import { EventsQuery } from '../../../protocol/rest/schemas.js';
import { parseLastEventId } from '../../sse/framing.js';
import type { ApiContext } from '../context.js';
import { sendApiError } from '../error-reply.js';
import { replies } from '../replies.js';

/** What the route answers: the stream itself (its events are the catalogue of spec/claudeman-api.md). */
const schema = {
  querystring: EventsQuery,
  response: replies({
    200: {
      description: 'Server-Sent Events: `init` with the status snapshot first, then the engine events',
      content: { 'text/event-stream': { schema: Type.String() } },
    },
  }),
};

/** `GET /api/events`: the Server-Sent Events stream, optionally limited to some sessions. */
export const eventRoutes =
  (context: ApiContext): FastifyPluginAsync =>
  async (plain) => {
    const app = plain.withTypeProvider<TypeBoxTypeProvider>();
    app.get('/api/events', { schema }, async (request, reply) => {
      // HEAD (which Fastify routes here too) has no body, so a stream would never send its head and
      // would hold a client slot for nothing: it gets the stream's headers and ends. (Without a body
      // at all, which the typed reply, expecting the stream's text, does not know of.)
      if (request.method === 'HEAD') {
        const head: FastifyReply = reply;
        return head.code(200).header('content-type', 'text/event-stream; charset=utf-8').send();
      }
      if (context.sse.isFull) {
        return sendApiError(
          reply,
          ApiErrorCode.TOO_MANY_CLIENTS,
          `too many event streams: at most ${context.sse.maxClients} at once; close one and retry`,
        );
      }
      const ids = request.query.sessions
        ?.split(',')
        .map((id) => id.trim())
        .filter((id) => id !== '');
      const filter = ids === undefined || ids.length === 0 ? null : new Set(ids);
      const header = request.headers['last-event-id'];
      const lastEventId = parseLastEventId(typeof header === 'string' ? header : request.query.lastEventId);
      reply.hijack();
      context.sse.attach(reply.raw, filter, lastEventId);
    });
  };
