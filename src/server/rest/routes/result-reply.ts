import type { FastifyReply } from 'fastify';
import { ApiErrorCode, isApiErrorCode } from '../../../protocol/errors.js';
import type { Failure } from '../../../protocol/result.js';
import { sendApiError } from '../error-reply.js';

/**
 * Replies with an engine failure (a `Failure` of `Result<T, Code>`) as the API's error body, with the
 * status of its code. Engine results whose codes are still typed `string` reach here too; a code the
 * API does not know is a server fault (500 INTERNAL).
 */
export function replyWithResult(reply: FastifyReply, failure: Failure<string>): FastifyReply {
  const code = isApiErrorCode(failure.code) ? failure.code : ApiErrorCode.INTERNAL;
  return sendApiError(reply, code, failure.message);
}
