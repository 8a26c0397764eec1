import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { ApiErrorCode } from '../../../protocol/errors.js';
import { QuickRunBody } from '../../../protocol/rest/schemas.js';
import { QuickRunReply } from '../../../protocol/rest/session.js';
import type { ApiContext } from '../context.js';
import { sendApiError } from '../error-reply.js';
import { replies } from '../replies.js';
import { replyWithResult } from './result-reply.js';

/**
 * `POST /api/run`: a prompt in a fresh session, answered when the run ends; the session is removed
 * afterwards, whatever happened (the seed-era program left them behind).
 */
export const quickRunRoutes =
  (context: ApiContext): FastifyPluginAsync =>
  async (plain) => {
    const app = plain.withTypeProvider<TypeBoxTypeProvider>();
    const schema = { body: QuickRunBody, response: replies({ 200: QuickRunReply }) };
    app.post('/api/run', { schema }, async (request, reply) => {
      const { prompt, workingDir, permissionMode, timeoutMs } = request.body;
      const created = context.sessions.create({
        ...(workingDir === undefined ? {} : { workingDir }),
        ...(permissionMode === undefined ? {} : { permissionMode }),
      });
      if (!created.ok) return replyWithResult(reply, created);
      const { session } = created;
      try {
        const started = session.runPrompt(prompt, timeoutMs === undefined ? {} : { timeoutMs });
        if (!started.ok) return replyWithResult(reply, started);
        // A client that goes away does not need the answer: stop the run instead of finishing it.
        const onClose = () => {
          if (!reply.raw.writableFinished) void session.stop();
        };
        reply.raw.once('close', onClose);
        const outcome = await started.done;
        reply.raw.off('close', onClose);
        if (outcome.error !== null) {
          return sendApiError(reply, ApiErrorCode.RUN_FAILED, outcome.error);
        }
        return {
          success: true,
          sessionId: session.id,
          result: outcome.result ?? '',
          cost: outcome.cost,
        } as const;
      } finally {
        await context.sessions.delete(session.id);
      }
    });
  };
