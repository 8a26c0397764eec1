import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import Type from 'typebox';
import { ScheduledLimits } from '../../../agent/scheduled/limits.js';
import type { ScheduledRunner } from '../../../agent/scheduled/scheduled-runner.js';
import { ApiErrorCode } from '../../../protocol/errors.js';
import { MAX_PROMPT_CHARS } from '../../../protocol/limits.js';
import {
  CreatedScheduledRunReply,
  ScheduledLimitPolicyFields,
  ScheduledRun,
} from '../../../protocol/rest/scheduled.js';
import { SuccessReply } from '../../../protocol/rest/success.js';
import { sendApiError } from '../error-reply.js';
import { replies } from '../replies.js';
import { replyWithResult } from './result-reply.js';

/** Longest path accepted (characters): PATH_MAX on Linux, as for sessions. */
const MAX_PATH_CHARS = 4096;

const CreateScheduledRunBody = Type.Object({
  prompt: Type.String({ minLength: 1, maxLength: MAX_PROMPT_CHARS }),
  workingDir: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_PATH_CHARS })),
  durationMinutes: Type.Number({ exclusiveMinimum: 0, maximum: ScheduledLimits.durationMinutes }),
  maxCostUsd: Type.Optional(Type.Union([Type.Number({ exclusiveMinimum: 0 }), Type.Null()])),
  ...ScheduledLimitPolicyFields,
});

const ScheduledRunIdParams = Type.Object({ id: Type.String({ maxLength: 200 }) });

function notFound(reply: FastifyReply, id: string): FastifyReply {
  return sendApiError(reply, ApiErrorCode.SCHEDULED_RUN_NOT_FOUND, `no scheduled run ${id}`);
}

/** Scheduled runs: create, list, inspect, cancel. */
export const scheduledRoutes =
  (runner: ScheduledRunner): FastifyPluginAsync =>
  async (plain) => {
    const app = plain.withTypeProvider<TypeBoxTypeProvider>();

    const listSchema = { response: replies({ 200: Type.Array(ScheduledRun) }) };
    app.get('/api/scheduled', { schema: listSchema }, async () => runner.list());

    const createSchema = {
      body: CreateScheduledRunBody,
      response: replies({ 201: CreatedScheduledRunReply }),
    };
    app.post('/api/scheduled', { schema: createSchema }, async (request, reply) => {
      const created = runner.create(request.body);
      if (!created.ok) return replyWithResult(reply, created);
      return reply.code(201).send({ success: true, run: created.run });
    });

    const runSchema = { params: ScheduledRunIdParams, response: replies({ 200: ScheduledRun }) };
    app.get('/api/scheduled/:id', { schema: runSchema }, async (request, reply) => {
      const run = runner.get(request.params.id);
      return run ?? notFound(reply, request.params.id);
    });

    const cancelSchema = { params: ScheduledRunIdParams, response: replies({ 200: SuccessReply }) };
    app.delete('/api/scheduled/:id', { schema: cancelSchema }, async (request, reply) => {
      const cancelled = await runner.cancel(request.params.id);
      return cancelled.ok ? ({ success: true } as const) : replyWithResult(reply, cancelled);
    });
  };
