import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { HealthyReport, UnhealthyReport } from '../../../protocol/rest/health.js';
import { StatusSnapshot } from '../../../protocol/rest/status.js';
import type { TaskSnapshot } from '../../../supervisor/supervisor.js';
import { encodeTaskInfo } from '../../overseer/encode.js';
import type { ApiContext } from '../context.js';
import { healthOf } from '../health.js';
import {
  invalidCursor,
  type PageEntry,
  PageHeaders,
  PageLimits,
  PageQuery,
  parsePage,
  sendPage,
} from '../paging.js';
import { replies } from '../replies.js';

/** A cursor of the overseer task list: the position of the last task of the page before (tasks are never removed). */
const POSITION = /^[0-9]{1,15}$/;

function* taskEntries(tasks: readonly TaskSnapshot[], after: number): Generator<PageEntry> {
  for (let index = after; index < tasks.length; index++) {
    const task = tasks[index];
    if (task !== undefined) yield { cursor: String(index + 1), json: encodeTaskInfo(task) };
  }
}

/**
 * `/api/status` (the full snapshot), `/healthz` (200 `{ok: true}`, or 503 with the reason the store
 * cannot take writes), and the supervisor's plain tasks as REST.
 */
export const statusRoutes =
  (context: ApiContext): FastifyPluginAsync =>
  async (plain) => {
    const app = plain.withTypeProvider<TypeBoxTypeProvider>();
    app.get('/api/status', { schema: { response: replies({ 200: StatusSnapshot }) } }, async () =>
      context.snapshot(),
    );
    // Unhealthy is 503 whatever the store's code (a full disk too): the answer of a health check.
    const healthSchema = { response: replies({ 200: HealthyReport, 503: UnhealthyReport }) };
    app.get('/healthz', { schema: healthSchema }, async (_request, reply) => {
      const health = healthOf(context.storage?.());
      return health.ok ? reply.code(200).send(health) : reply.code(503).send(health);
    });
    app.get(
      '/api/overseer/tasks',
      {
        schema: {
          description: `The supervisor's tasks in creation order (the TaskInfo objects of the /ws list reply), paged: at most ?limit= tasks (default ${PageLimits.defaultItems}) per page; X-Next-Cursor and Link name the next page.`,
          querystring: PageQuery,
          // The items are the /ws protocol's TaskInfo, encoded by the overseer face (sent as text, so
          // this schema documents them and serializes nothing).
          response: replies({ 200: { type: 'array', items: { type: 'object' }, headers: PageHeaders } }),
        },
      },
      async (request, reply) => {
        const page = parsePage(request, reply);
        if (page === null) return reply;
        let after = 0;
        if (page.cursor !== null) {
          if (!POSITION.test(page.cursor)) return invalidCursor(reply, page.cursor);
          after = Number(page.cursor);
        }
        return sendPage(request, reply, page, taskEntries(context.supervisor.list(), after));
      },
    );
  };
