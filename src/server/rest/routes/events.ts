import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import Type from 'typebox';
import { ApiErrorCode } from '../../../protocol/errors.js';
import { EventsQuery } from '../../../protocol/rest/schemas.js';
import { isApiEventType } from '../../../protocol/sse.js';
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

/** A comma-separated query list, without blanks. */
function listOf(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/**
 * `GET /api/events`: the Server-Sent Events stream, optionally limited to some sessions
 * (`?sessions=a,b`) and without some event types (`?exclude=session:terminal,session:output`).
 */
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
      const exclude = listOf(request.query.exclude);
      const unknown = exclude.filter((type) => !isApiEventType(type));
      if (unknown.length > 0) {
        return sendApiError(
          reply,
          ApiErrorCode.BAD_REQUEST,
          `exclude: unknown event type ${JSON.stringify(unknown[0])} (see the event catalogue)`,
        );
      }
      const ids = listOf(request.query.sessions);
      const filter = { sessions: ids.length === 0 ? null : new Set(ids), exclude: new Set(exclude) };
      const header = request.headers['last-event-id'];
      const lastEventId = parseLastEventId(typeof header === 'string' ? header : request.query.lastEventId);
      reply.hijack();
      context.sse.attach(reply.raw, filter, lastEventId);
    });
  };
