import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { CaseStore } from '../../../agent/cases/cases.js';
import { CaseInfo, CreatedCaseReply } from '../../../protocol/rest/cases.js';
import { CaseNameParams, CreateCaseBody } from '../../../protocol/rest/schemas.js';
import type { ApiContext } from '../context.js';
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

function* caseEntries(cases: Iterable<CaseInfo>): Generator<PageEntry> {
  for (const info of cases) yield { cursor: info.name, json: JSON.stringify(info) };
}

/** Cases: directories under the cases root, each with a CLAUDE.md from the template (listed in pages). */
export const caseRoutes =
  (context: ApiContext): FastifyPluginAsync =>
  async (plain) => {
    const app = plain.withTypeProvider<TypeBoxTypeProvider>();
    app.get(
      '/api/cases',
      {
        schema: {
          description: `The cases in name order, paged: at most ?limit= cases (default ${PageLimits.defaultItems}) per page; X-Next-Cursor and Link name the next page.`,
          querystring: PageQuery,
          response: replies({ 200: { type: 'array', items: CaseInfo, headers: PageHeaders } }),
        },
      },
      async (request, reply) => {
        const page = parsePage(request, reply);
        if (page === null) return reply;
        // The cursor is the name of the last case of the page before.
        if (page.cursor !== null && !CaseStore.isCaseName(page.cursor))
          return invalidCursor(reply, page.cursor);
        return sendPage(request, reply, page, caseEntries(context.cases.listAfter(page.cursor)));
      },
    );

    app.get(
      '/api/cases/:name',
      { schema: { params: CaseNameParams, response: replies({ 200: CaseInfo }) } },
      async (request, reply) => {
        const found = context.cases.get(request.params.name);
        return found.ok ? found.info : replyWithResult(reply, found);
      },
    );

    const createSchema = { body: CreateCaseBody, response: replies({ 201: CreatedCaseReply }) };
    app.post('/api/cases', { schema: createSchema }, async (request, reply) => {
      const created = context.cases.create(request.body.name, request.body.description ?? '');
      if (!created.ok) return replyWithResult(reply, created);
      const { name, path } = created.info;
      context.bus.publish({ kind: 'case:created', data: { name, path }, ts: context.clock.now() });
      return reply.code(201).send({ success: true, case: { name, path } });
    });
  };
