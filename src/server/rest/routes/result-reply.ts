import type { FastifyReply } from 'fastify';
import { API_ERROR_STATUS, ApiErrorCode, isApiErrorCode } from '../../../protocol/errors.js';
import { sendApiError } from '../error-reply.js';

/**
 * Replies with an engine failure (`{ok: false, code, message}`) as the API's error body, with the
 * status of its code; a code the API does not know is a server fault (500 INTERNAL).
 */
export function replyWithResult(
  reply: FastifyReply,
  failure: { readonly code: string; readonly message: string },
) {
  const code = isApiErrorCode(failure.code) ? failure.code : ApiErrorCode.INTERNAL;
  return sendApiError(reply, API_ERROR_STATUS[code], code, failure.message);
}
