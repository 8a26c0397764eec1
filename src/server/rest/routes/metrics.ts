import type { FastifyPluginAsync } from 'fastify';
import { type MetricFamily, renderPrometheus } from '../../metrics/stream-counters.js';

/** `GET /metrics`: Prometheus text, collected when scraped. */
export const metricsRoutes =
  (collect: () => readonly MetricFamily[]): FastifyPluginAsync =>
  async (app) => {
    app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
      reply.type('text/plain; version=0.0.4; charset=utf-8').send(renderPrometheus(collect())),
    );
  };
