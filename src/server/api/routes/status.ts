import type { FastifyPluginAsync } from 'fastify';
import { encodeTasks } from '../../overseer/encode.js';
import type { ApiContext } from '../context.js';
import { healthOf } from '../health.js';

/**
 * `/api/status` (the full snapshot), `/healthz` (200 `{ok: true}`, or 503 with the reason the store
 * cannot take writes), and the supervisor's plain tasks as REST.
 */
export const statusRoutes =
  (context: ApiContext): FastifyPluginAsync =>
  async (app) => {
    app.get('/api/status', async () => context.snapshot());
    app.get('/healthz', async (_request, reply) => {
      const health = healthOf(context.storage?.());
      return reply.code(health.ok ? 200 : 503).send(health);
    });
    app.get('/api/overseer/tasks', async (_request, reply) =>
      // The same TaskInfo objects as the /ws `list` reply.
      reply
        .type('application/json; charset=utf-8')
        .send(JSON.parse(encodeTasks(context.supervisor.list(), '')).tasks),
    );
  };
