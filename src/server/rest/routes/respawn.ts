import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import Type from 'typebox';
import type { RespawnManager } from '../../../agent/respawn/respawn-manager.js';
import type { SessionManager } from '../../../agent/session/session-manager.js';
import { DEFAULT_TERMINAL_SIZE } from '../../../agent/session/session-settings.js';
import { RespawnConfigPatch } from '../../../protocol/rest/respawn.js';
import { InteractiveBody, SessionIdParams } from '../../../protocol/rest/schemas.js';
import { replyWithResult } from './result-reply.js';

/** Unknown keys are refused (see RespawnConfigPatch for why not `additionalProperties: false`). */
const closed = { additionalProperties: Type.Never() };

/** `{config?}`; the seed-era program also took the config fields at top level (`config` wins). */
export const RespawnStartBody = Type.Object(
  { config: Type.Optional(RespawnConfigPatch), ...RespawnConfigPatch.properties },
  closed,
);

/** `{respawnConfig?}`, plus the terminal size and permission mode of `/interactive`. */
export const InteractiveRespawnBody = Type.Object(
  { respawnConfig: Type.Optional(RespawnConfigPatch), ...InteractiveBody.properties },
  closed,
);

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

    app.get('/api/sessions/:id/respawn', { schema: { params: SessionIdParams } }, async (request, reply) => {
      const { id } = request.params;
      if (sessions.get(id) === undefined) {
        return replyWithResult(reply, { code: 'SESSION_NOT_FOUND', message: `no session ${id}` });
      }
      return respawn.status(id) ?? { enabled: false, status: null };
    });

    app.post(
      '/api/sessions/:id/respawn/start',
      { schema: { params: SessionIdParams, body: RespawnStartBody }, preValidation: emptyBodyAsObject },
      async (request, reply) => {
        const { config, ...topLevel } = request.body ?? {};
        const started = respawn.start(request.params.id, { ...topLevel, ...config });
        if (!started.ok) return replyWithResult(reply, started);
        return { success: true, status: started.status };
      },
    );

    app.post(
      '/api/sessions/:id/respawn/stop',
      { schema: { params: SessionIdParams } },
      async (request, reply) => {
        const stopped = respawn.stop(request.params.id);
        if (!stopped.ok) return replyWithResult(reply, stopped);
        return { success: true };
      },
    );

    app.put(
      '/api/sessions/:id/respawn/config',
      { schema: { params: SessionIdParams, body: RespawnConfigPatch } },
      async (request, reply) => {
        const updated = respawn.updateConfig(request.params.id, request.body);
        if (!updated.ok) return replyWithResult(reply, updated);
        return { success: true, config: updated.config };
      },
    );

    app.post(
      '/api/sessions/:id/interactive-respawn',
      {
        schema: { params: SessionIdParams, body: InteractiveRespawnBody },
        preValidation: emptyBodyAsObject,
      },
      async (request, reply) => {
        const { id } = request.params;
        const session = sessions.get(id);
        if (session === undefined) {
          return replyWithResult(reply, { code: 'SESSION_NOT_FOUND', message: `no session ${id}` });
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
        };
      },
    );
  };
