import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import type { Session } from '../../../agent/session/session.js';
import { ApiErrorCode } from '../../../protocol/errors.js';
import {
  CreateSessionBody,
  InputBody,
  InteractiveBody,
  ResizeBody,
  RunBody,
  SessionIdParams,
} from '../../../protocol/rest/schemas.js';
import {
  CreatedSessionReply,
  SessionInfo,
  SessionOutput,
  SessionTerminal,
} from '../../../protocol/rest/session.js';
import { SuccessMessageReply, SuccessReply } from '../../../protocol/rest/success.js';
import {
  TRANSCRIPT_PAGE_DEFAULT,
  TRANSCRIPT_PAGE_MAX,
  TranscriptPage,
  TranscriptQuery,
} from '../../../protocol/rest/transcript.js';
import type { ApiContext } from '../context.js';
import { sendApiError } from '../error-reply.js';
import { replies } from '../replies.js';
import { replyWithResult } from './result-reply.js';

/** These bodies are all optional: a POST without one means "all defaults". */
async function emptyBodyAsObject(request: FastifyRequest): Promise<void> {
  request.body ??= {};
}

/** Sessions: create, list, inspect, delete, run prompts, interactive mode, input and resize. */
export const sessionRoutes =
  (context: ApiContext): FastifyPluginAsync =>
  async (plain) => {
    const app = plain.withTypeProvider<TypeBoxTypeProvider>();
    const { sessions } = context;

    const find = (id: string, reply: FastifyReply): Session | null => {
      const session = sessions.get(id);
      if (session === undefined) sendApiError(reply, ApiErrorCode.SESSION_NOT_FOUND, `no session ${id}`);
      return session ?? null;
    };

    app.get('/api/sessions', { schema: { response: replies({ 200: Type.Array(SessionInfo) }) } }, async () =>
      sessions.list().map((session) => session.info()),
    );

    app.post(
      '/api/sessions',
      {
        schema: { body: CreateSessionBody, response: replies({ 201: CreatedSessionReply }) },
        preValidation: emptyBodyAsObject,
      },
      async (request, reply) => {
        const created = sessions.create(request.body ?? {});
        if (!created.ok) return replyWithResult(reply, created);
        return reply.code(201).send({ success: true, session: created.session.info() });
      },
    );

    app.get(
      '/api/sessions/:id',
      { schema: { params: SessionIdParams, response: replies({ 200: SessionInfo }) } },
      async (request, reply) => {
        const session = find(request.params.id, reply);
        return session === null ? reply : session.info();
      },
    );

    app.delete(
      '/api/sessions/:id',
      { schema: { params: SessionIdParams, response: replies({ 200: SuccessReply }) } },
      async (request, reply) => {
        const deleted = await sessions.delete(request.params.id);
        if (!deleted.ok) return replyWithResult(reply, deleted);
        return { success: true } as const;
      },
    );

    app.get(
      '/api/sessions/:id/output',
      { schema: { params: SessionIdParams, response: replies({ 200: SessionOutput }) } },
      async (request, reply) => {
        const session = find(request.params.id, reply);
        if (session === null) return reply;
        return {
          textOutput: session.text.toString(),
          messages: session.messages,
          errorBuffer: session.errors.toString(),
        };
      },
    );

    app.get(
      '/api/sessions/:id/transcript',
      {
        schema: {
          params: SessionIdParams,
          querystring: TranscriptQuery,
          response: replies({ 200: TranscriptPage }),
        },
      },
      async (request, reply) => {
        const session = find(request.params.id, reply);
        if (session === null) return reply;
        const after = Number(request.query.after ?? 0);
        const limit = Number(request.query.limit ?? TRANSCRIPT_PAGE_DEFAULT);
        if (limit < 1 || limit > TRANSCRIPT_PAGE_MAX) {
          return sendApiError(reply, ApiErrorCode.BAD_REQUEST, `limit must be 1 to ${TRANSCRIPT_PAGE_MAX}`);
        }
        return session.transcript.page(after, limit);
      },
    );

    app.get(
      '/api/sessions/:id/terminal',
      { schema: { params: SessionIdParams, response: replies({ 200: SessionTerminal }) } },
      async (request, reply) => {
        const session = find(request.params.id, reply);
        if (session === null) return reply;
        return { terminalBuffer: session.terminal.toString(), status: session.status };
      },
    );

    app.post(
      '/api/sessions/:id/run',
      { schema: { params: SessionIdParams, body: RunBody, response: replies({ 200: SuccessMessageReply }) } },
      async (request, reply) => {
        const session = find(request.params.id, reply);
        if (session === null) return reply;
        const { continue: resume, ...options } = request.body;
        const started = session.runPrompt(request.body.prompt, { ...options, resume: resume === true });
        if (!started.ok) return replyWithResult(reply, started);
        // The outcome arrives as events; a failed run is already reported there.
        started.done.catch((error: Error) => request.log.error({ err: error }, 'run failed'));
        return { success: true, message: 'Prompt started' } as const;
      },
    );

    app.post(
      '/api/sessions/:id/interactive',
      {
        schema: {
          params: SessionIdParams,
          body: InteractiveBody,
          response: replies({ 200: SuccessMessageReply }),
        },
        preValidation: emptyBodyAsObject,
      },
      async (request, reply) => {
        const session = find(request.params.id, reply);
        if (session === null) return reply;
        const body = request.body ?? {};
        const started = session.startInteractive(
          { cols: body.cols ?? 120, rows: body.rows ?? 40 },
          {
            ...(body.permissionMode === undefined ? {} : { permissionMode: body.permissionMode }),
            ...(body.resume === true ? { resume: true } : {}),
          },
        );
        if (!started.ok) return replyWithResult(reply, started);
        return { success: true, message: 'Interactive session started' } as const;
      },
    );

    app.post(
      '/api/sessions/:id/input',
      { schema: { params: SessionIdParams, body: InputBody, response: replies({ 200: SuccessReply }) } },
      async (request, reply) => {
        const session = find(request.params.id, reply);
        if (session === null) return reply;
        const written = session.input(request.body.input);
        if (!written.ok) return replyWithResult(reply, written);
        return { success: true } as const;
      },
    );

    app.post(
      '/api/sessions/:id/resize',
      { schema: { params: SessionIdParams, body: ResizeBody, response: replies({ 200: SuccessReply }) } },
      async (request, reply) => {
        const session = find(request.params.id, reply);
        if (session === null) return reply;
        session.resize(request.body);
        return { success: true } as const;
      },
    );
  };
