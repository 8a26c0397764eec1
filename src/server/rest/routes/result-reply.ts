import type { FastifyReply } from 'fastify';
import { API_ERROR_STATUS } from '../../../protocol/errors.js';
import type { Failure } from '../../../protocol/result.js';
import { sendApiError } from '../error-reply.js';

/**
 * Replies with an engine failure (`{ok: false, code, message}`) as the API's error body, with the
 * status of its code. Engine codes are typed as ApiErrorCode members, so every one has a status.
 */
export function replyWithResult(reply: FastifyReply, failure: Pick<Failure, 'code' | 'message'>) {
  return sendApiError(reply, API_ERROR_STATUS[failure.code], failure.code, failure.message);
}
