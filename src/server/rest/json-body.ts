import type { FastifyInstance } from 'fastify';

/**
 * JSON bodies, parsed as Fastify does (prototype-poisoning checks included), except that an empty
 * body is `{}`: the README's curl helper and many seed-era clients set `Content-Type:
 * application/json` on every request, also on `DELETE …` or `POST …/stop` without a body, and were
 * answered "Body cannot be empty". Routes whose body has required fields still answer 400 for `{}`
 * (the schema names what is missing); malformed JSON is still 400 INVALID_JSON.
 */
export function acceptEmptyJsonBodies(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body.length === 0) {
      done(null, {});
      return;
    }
    parseJson(request, String(body), done);
  });
}
