import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { RalphLoop } from '../../../agent/ralph/ralph-loop.js';
import { RalphStatus, RalphStatusReply, StartRalphRequest } from '../../../protocol/rest/ralph.js';
import { replies } from '../replies.js';
import { replyWithResult } from './result-reply.js';

/** A start without a body means "all defaults". */
async function emptyBodyAsObject(request: FastifyRequest): Promise<void> {
  request.body ??= {};
}

/** The Ralph loop: status, start, stop. */
export const ralphRoutes =
  (loop: RalphLoop): FastifyPluginAsync =>
  async (plain) => {
    const app = plain.withTypeProvider<TypeBoxTypeProvider>();

    app.get('/api/ralph', { schema: { response: replies({ 200: RalphStatus }) } }, async () => loop.status());

    app.post(
      '/api/ralph/start',
      {
        schema: { body: StartRalphRequest, response: replies({ 200: RalphStatusReply }) },
        preValidation: emptyBodyAsObject,
      },
      async (request, reply) => {
        const started = loop.start(request.body ?? {});
        if (!started.ok) return replyWithResult(reply, started);
        return { success: true, status: started.status } as const;
      },
    );

    const stopSchema = { response: replies({ 200: RalphStatusReply }) };
    app.post('/api/ralph/stop', { schema: stopSchema }, async (_request, reply) => {
      const stopped = loop.stop();
      if (!stopped.ok) return replyWithResult(reply, stopped);
      return { success: true, status: stopped.status } as const;
    });
  };
