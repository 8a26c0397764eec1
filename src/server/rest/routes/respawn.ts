import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import Type from 'typebox';
import type { RespawnManager } from '../../../agent/respawn/respawn-manager.js';
import type { SessionManager } from '../../../agent/session/session-manager.js';
import { DEFAULT_TERMINAL_SIZE } from '../../../agent/session/session-settings.js';
import { ApiErrorCode } from '../../../protocol/errors.js';
import {
  InteractiveRespawnBody,
  InteractiveRespawnReply,
  NoRespawn,
  RespawnConfigPatch,
  RespawnConfigReply,
  RespawnStartBody,
  RespawnStatus,
  RespawnStatusReply,
} from '../../../protocol/rest/respawn.js';
import { SessionIdParams } from '../../../protocol/rest/schemas.js';
import { SuccessReply } from '../../../protocol/rest/success.js';
import { sendApiError } from '../error-reply.js';
import { replies } from '../replies.js';
import { replyWithResult } from './result-reply.js';

/** These bodies are all optional: a POST without one means "all defaults". */
async function emptyBodyAsObject(request: FastifyRequest): Promise<void> {
  request.body ??= {};
}

export interface RespawnRouteDeps {
  readonly sessions: SessionManager;
  readonly respawn: RespawnManager;
}

/** The respawn controller of a session: status, start, stop, config, and interactive-plus-respawn. */
export const respawnRoutes =
  ({ sessions, respawn }: RespawnRouteDeps): FastifyPluginAsync =>
  async (plain) => {
    const app = plain.withTypeProvider<TypeBoxTypeProvider>();

    // A controller's status, or `{enabled: false, status: null}` for a session without one.
    const statusSchema = {
      params: SessionIdParams,
      response: replies({ 200: Type.Union([NoRespawn, RespawnStatus]) }),
    };
    app.get('/api/sessions/:id/respawn', { schema: statusSchema }, async (request, reply) => {
      const { id } = request.params;
      if (sessions.get(id) === undefined) {
        return sendApiError(reply, ApiErrorCode.SESSION_NOT_FOUND, `no session ${id}`);
      }
      return respawn.status(id) ?? ({ enabled: false, status: null } as const);
    });

    app.post(
      '/api/sessions/:id/respawn/start',
      {
        schema: {
          params: SessionIdParams,
          body: RespawnStartBody,
          response: replies({ 200: RespawnStatusReply }),
        },
        preValidation: emptyBodyAsObject,
      },
      async (request, reply) => {
        const { config, ...topLevel } = request.body ?? {};
        const started = respawn.start(request.params.id, { ...topLevel, ...config });
        if (!started.ok) return replyWithResult(reply, started);
        return { success: true, status: started.status } as const;
      },
    );

    app.post(
      '/api/sessions/:id/respawn/stop',
      { schema: { params: SessionIdParams, response: replies({ 200: SuccessReply }) } },
      async (request, reply) => {
        const stopped = respawn.stop(request.params.id);
        if (!stopped.ok) return replyWithResult(reply, stopped);
        return { success: true } as const;
      },
    );

    app.put(
      '/api/sessions/:id/respawn/config',
      {
        schema: {
          params: SessionIdParams,
          body: RespawnConfigPatch,
          response: replies({ 200: RespawnConfigReply }),
        },
      },
      async (request, reply) => {
        const updated = respawn.updateConfig(request.params.id, request.body);
        if (!updated.ok) return replyWithResult(reply, updated);
        return { success: true, config: updated.config } as const;
      },
    );

    app.post(
      '/api/sessions/:id/interactive-respawn',
      {
        schema: {
          params: SessionIdParams,
          body: InteractiveRespawnBody,
          response: replies({ 200: InteractiveRespawnReply }),
        },
        preValidation: emptyBodyAsObject,
      },
      async (request, reply) => {
        const { id } = request.params;
        const session = sessions.get(id);
        if (session === undefined) {
          return sendApiError(reply, ApiErrorCode.SESSION_NOT_FOUND, `no session ${id}`);
        }
        const { respawnConfig, cols, rows, permissionMode } = request.body ?? {};
        if (!session.isInteractive) {
          const started = session.startInteractive(
            { cols: cols ?? DEFAULT_TERMINAL_SIZE.cols, rows: rows ?? DEFAULT_TERMINAL_SIZE.rows },
            permissionMode === undefined ? {} : { permissionMode },
          );
          if (!started.ok) return replyWithResult(reply, started);
        }
        const controller = respawn.start(id, respawnConfig ?? {});
        if (!controller.ok) return replyWithResult(reply, controller);
        return {
          success: true,
          message: 'Interactive session with respawn started',
          respawnStatus: controller.status,
        } as const;
      },
    );
  };
