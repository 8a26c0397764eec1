import type { FastifyReply } from 'fastify';
import { ApiErrorCode } from '../../../api/errors.js';
import { sendApiError } from '../error-reply.js';

/** HTTP status for each failure code of the engine's results. */
const STATUS_BY_CODE: Record<string, number> = {
  [ApiErrorCode.INVALID_PATH]: 400,
  [ApiErrorCode.INVALID_CASE_NAME]: 400,
  [ApiErrorCode.SESSION_NOT_FOUND]: 404,
  [ApiErrorCode.CASE_NOT_FOUND]: 404,
  [ApiErrorCode.NOT_INTERACTIVE]: 409,
  [ApiErrorCode.SESSION_BUSY]: 409,
  [ApiErrorCode.CASE_EXISTS]: 409,
  [ApiErrorCode.SESSION_LIMIT]: 429,
  [ApiErrorCode.CLAUDE_NOT_FOUND]: 503,
  [ApiErrorCode.SPAWN_FAILED]: 500,
  [ApiErrorCode.RUN_FAILED]: 502,
};

/** Replies with an engine failure (`{ok: false, code, message}`) as the API's error body. */
export function replyWithResult(
  reply: FastifyReply,
  failure: { readonly code: string; readonly message: string },
) {
  const code = (failure.code in STATUS_BY_CODE ? failure.code : ApiErrorCode.INTERNAL) as ApiErrorCode;
  return sendApiError(reply, STATUS_BY_CODE[code] ?? 500, code, failure.message);
}
