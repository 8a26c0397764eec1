import type { FastifyPluginAsync } from 'fastify';
import Type from 'typebox';
import { type MetricFamily, renderPrometheus } from '../../metrics/stream-counters.js';
import { replies } from '../replies.js';

const schema = {
  hide: true,
  response: replies({
    200: {
      description: 'the Prometheus text format, version 0.0.4',
      content: { 'text/plain': { schema: Type.String() } },
    },
  }),
};

/** `GET /metrics`: Prometheus text, collected when scraped. */
export const metricsRoutes =
  (collect: () => readonly MetricFamily[]): FastifyPluginAsync =>
  async (app) => {
    app.get('/metrics', { schema }, async (_request, reply) =>
      reply.type('text/plain; version=0.0.4; charset=utf-8').send(renderPrometheus(collect())),
    );
  };
