import type { FastifyError, FastifyInstance } from 'fastify';
import { ApiErrorCode } from '../../api/errors.js';
import { sendApiError } from './error-reply.js';

/**
 * Every failure of the REST API as `{success: false, error, code}` with a real status code: invalid
 * input 400, too large 413, unknown route 404, anything unexpected 500 (logged, never crashing).
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) {
      return sendApiError(reply, 400, ApiErrorCode.BAD_REQUEST, `invalid request: ${error.message}`);
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return sendApiError(reply, 413, ApiErrorCode.BODY_TOO_LARGE, 'request body too large');
    }
    if (
      error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
      (error.statusCode === 400 && error instanceof SyntaxError)
    ) {
      return sendApiError(reply, 400, ApiErrorCode.INVALID_JSON, `malformed JSON body: ${error.message}`);
    }
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      return sendApiError(reply, error.statusCode, ApiErrorCode.BAD_REQUEST, error.message);
    }
    request.log.error({ err: error }, 'request failed');
    return sendApiError(reply, 500, ApiErrorCode.INTERNAL, 'internal error; see the server log');
  });
  app.setNotFoundHandler((request, reply) =>
    sendApiError(
      reply,
      404,
      ApiErrorCode.NOT_FOUND,
      `no route ${request.method} ${request.url.split('?', 1)[0]}`,
    ),
  );
}
