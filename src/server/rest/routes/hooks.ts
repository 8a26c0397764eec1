import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Session } from '../../../agent/session/session.js';
import type { SessionManager } from '../../../agent/session/session-manager.js';
import { ApiErrorCode } from '../../../protocol/errors.js';
import { HookReply, StatusLineReply } from '../../../protocol/rest/hooks.js';
import type { LimitReason } from '../../../util/limit-reasons.js';
import { tokensMatch } from '../../security/token.js';
import { sendApiError } from '../error-reply.js';
import { replies } from '../replies.js';

/** The header in which the hook relay sends the session's secret. */
export const HOOK_SECRET_HEADER = 'x-claudeman-hook-secret';

/**
 * Largest status line JSON taken (bytes): the CLI's is ~2 KiB; the status relay sends at most as
 * much (status-relay-script.ts).
 */
export const STATUS_LINE_BODY_LIMIT_BYTES = 64 * 1024;
export const STATUS_LINE_BODY_LIMIT_REASON: LimitReason = {
  metric: 'status_line_body_bytes',
  reason:
    "Largest status line JSON a CLI's status relay may post (413 beyond); the CLI's is about 2 KiB, so more is not one.",
};

type HookRequest = FastifyRequest<{ Params: { sessionId: string } }>;

/**
 * `POST /api/hooks/:sessionId` and `…/status`: Claude Code hook callbacks and status line JSON,
 * relayed from the CLI. Authenticated by the session's own secret (the relays never have the access
 * token), so a CLI can speak only for its own session, and checked before the body is read. Not for
 * people.
 */
export const hookRoutes =
  (sessions: SessionManager): FastifyPluginAsync =>
  async (app) => {
    const sessionOf = new WeakMap<FastifyRequest, Session>();
    const authenticate = async (request: HookRequest, reply: FastifyReply): Promise<void> => {
      const session = sessions.get(request.params.sessionId);
      const secret = request.headers[HOOK_SECRET_HEADER];
      // Unknown session and wrong secret look the same from outside.
      if (
        session === undefined ||
        !tokensMatch(session.hookSecret, typeof secret === 'string' ? secret : undefined)
      ) {
        await sendApiError(reply, ApiErrorCode.UNAUTHORIZED, 'unknown session or wrong hook secret');
        return;
      }
      sessionOf.set(request, session);
    };
    /** The payload as a JSON object, or null (a 400 has been sent). */
    const objectBody = (body: unknown): Record<string, unknown> | null =>
      typeof body === 'object' && body !== null && !Array.isArray(body)
        ? (body as Record<string, unknown>)
        : null;

    app.post<{ Params: { sessionId: string }; Body: unknown }>(
      '/api/hooks/:sessionId',
      { schema: { hide: true, response: replies({ 200: HookReply }) }, onRequest: authenticate },
      async (request, reply) => {
        const session = sessionOf.get(request);
        const payload = objectBody(request.body);
        if (session === undefined || payload === null) {
          return sendApiError(reply, ApiErrorCode.BAD_REQUEST, 'a hook payload is a JSON object');
        }
        const verdict = session.receiveHook(payload);
        return { success: true, verdict: verdict.kind };
      },
    );

    app.post<{ Params: { sessionId: string }; Body: unknown }>(
      '/api/hooks/:sessionId/status',
      {
        schema: { hide: true, response: replies({ 200: StatusLineReply }) },
        bodyLimit: STATUS_LINE_BODY_LIMIT_BYTES,
        onRequest: authenticate,
      },
      async (request, reply) => {
        const session = sessionOf.get(request);
        const payload = objectBody(request.body);
        if (session === undefined || payload === null) {
          return sendApiError(reply, ApiErrorCode.BAD_REQUEST, 'a status line payload is a JSON object');
        }
        return { success: true, applied: session.receiveStatus(payload) };
      },
    );
  };
