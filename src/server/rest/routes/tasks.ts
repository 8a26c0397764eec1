import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import Type from 'typebox';
import type { TaskQueue } from '../../../agent/tasks/task-queue.js';
import { ApiErrorCode } from '../../../protocol/errors.js';
import { SuccessReply } from '../../../protocol/rest/success.js';
import {
  CreatedTaskReply,
  CreatedTasksReply,
  CreateTaskBatchRequest,
  CreateTaskRequest,
  QueueTask,
} from '../../../protocol/rest/tasks.js';
import { sendApiError } from '../error-reply.js';
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
import { replyWithResult } from './result-reply.js';

const TaskIdParams = Type.Object({ id: Type.String({ maxLength: 200 }) });
/** A cursor of the task list: the ordinal of the last task of the page before. */
const ORDINAL = /^[0-9]{1,15}$/;

function* entriesOf(tasks: Iterable<{ ordinal: number; task: QueueTask }>): Generator<PageEntry> {
  for (const { ordinal, task } of tasks) yield { cursor: String(ordinal), json: JSON.stringify(task) };
}

/** The task queue of the Ralph loop: list (paged), add (one or a batch), inspect, delete. */
export const taskRoutes =
  (queue: TaskQueue): FastifyPluginAsync =>
  async (plain) => {
    const app = plain.withTypeProvider<TypeBoxTypeProvider>();

    app.get(
      '/api/tasks',
      {
        schema: {
          description: `The queue in creation order, paged: at most ?limit= tasks (default ${PageLimits.defaultItems}) and ${PageLimits.maxChars} characters per page; X-Next-Cursor and Link name the next page.`,
          querystring: PageQuery,
          response: replies({ 200: { type: 'array', items: QueueTask, headers: PageHeaders } }),
        },
      },
      async (request, reply) => {
        const page = parsePage(request, reply);
        if (page === null) return reply;
        let after = 0;
        if (page.cursor !== null) {
          if (!ORDINAL.test(page.cursor)) return invalidCursor(reply, page.cursor);
          after = Number(page.cursor);
        }
        return sendPage(request, reply, page, entriesOf(queue.listAfter(after)));
      },
    );

    const createSchema = { body: CreateTaskRequest, response: replies({ 201: CreatedTaskReply }) };
    app.post('/api/tasks', { schema: createSchema }, async (request, reply) => {
      const added = queue.add(request.body);
      if (!added.ok) return replyWithResult(reply, added);
      return reply.code(201).send({ success: true, task: added.task });
    });

    const batchSchema = { body: CreateTaskBatchRequest, response: replies({ 201: CreatedTasksReply }) };
    app.post('/api/tasks/batch', { schema: batchSchema }, async (request, reply) => {
      const added = queue.addAll(request.body.tasks);
      if (!added.ok) return replyWithResult(reply, added);
      return reply.code(201).send({ success: true, tasks: added.tasks });
    });

    const taskSchema = { params: TaskIdParams, response: replies({ 200: QueueTask }) };
    app.get('/api/tasks/:id', { schema: taskSchema }, async (request, reply) => {
      const task = queue.get(request.params.id);
      if (task === undefined) {
        return sendApiError(reply, ApiErrorCode.TASK_NOT_FOUND, `no task ${request.params.id}`);
      }
      return task;
    });

    const deleteSchema = { params: TaskIdParams, response: replies({ 200: SuccessReply }) };
    app.delete('/api/tasks/:id', { schema: deleteSchema }, async (request, reply) => {
      const removed = queue.remove(request.params.id);
      if (!removed.ok) return replyWithResult(reply, removed);
      return { success: true } as const;
    });
  };
