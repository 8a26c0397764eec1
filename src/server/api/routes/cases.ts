import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { ApiContext } from '../context.js';
import { CaseNameParams, CreateCaseBody } from '../schemas.js';
import { replyWithResult } from './result-reply.js';

/** Cases: directories under the cases root, each with a CLAUDE.md from the template. */
export const caseRoutes =
  (context: ApiContext): FastifyPluginAsync =>
  async (plain) => {
    const app = plain.withTypeProvider<TypeBoxTypeProvider>();
    app.get('/api/cases', async () => context.cases.list());

    app.get('/api/cases/:name', { schema: { params: CaseNameParams } }, async (request, reply) => {
      const found = context.cases.get(request.params.name);
      return found.ok ? found.info : replyWithResult(reply, found);
    });

    app.post('/api/cases', { schema: { body: CreateCaseBody } }, async (request, reply) => {
      const created = context.cases.create(request.body.name, request.body.description ?? '');
      if (!created.ok) return replyWithResult(reply, created);
      const { name, path } = created.info;
      context.bus.publish({ kind: 'case:created', data: { name, path }, ts: context.clock.now() });
      return reply.code(201).send({ success: true, case: { name, path } });
    });
  };
