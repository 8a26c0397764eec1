import type { FastifyPluginAsync } from 'fastify';
import type { SessionManager } from '../../../agent/session/session-manager.js';
import { ApiErrorCode } from '../../../protocol/errors.js';
import { HookReply } from '../../../protocol/rest/hooks.js';
import { tokensMatch } from '../../security/token.js';
import { sendApiError } from '../error-reply.js';
import { replies } from '../replies.js';

/** The header in which the hook relay sends the session's secret. */
export const HOOK_SECRET_HEADER = 'x-claudeman-hook-secret';

/**
 * `POST /api/hooks/:sessionId`: Claude Code hook callbacks, relayed from the CLI. Authenticated by the
 * session's own secret (the relay never has the access token), so a hook can speak only for its own
 * session. Not for people.
 */
export const hookRoutes =
  (sessions: SessionManager): FastifyPluginAsync =>
  async (app) => {
    app.post<{ Params: { sessionId: string }; Body: unknown }>(
      '/api/hooks/:sessionId',
      { schema: { hide: true, response: replies({ 200: HookReply }) } },
      async (request, reply) => {
        const session = sessions.get(request.params.sessionId);
        const secret = request.headers[HOOK_SECRET_HEADER];
        // Unknown session and wrong secret look the same from outside.
        if (
          session === undefined ||
          !tokensMatch(session.hookSecret, typeof secret === 'string' ? secret : undefined)
        ) {
          return sendApiError(reply, ApiErrorCode.UNAUTHORIZED, 'unknown session or wrong hook secret');
        }
        const payload = request.body;
        if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
          return sendApiError(reply, ApiErrorCode.BAD_REQUEST, 'a hook payload is a JSON object');
        }
        const verdict = session.receiveHook(payload as Record<string, unknown>);
        return { success: true, verdict: verdict.kind };
      },
    );
  };
