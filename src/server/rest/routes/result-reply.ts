import type { FastifyReply } from 'fastify';
import type { ApiErrorCode } from '../../../protocol/errors.js';
import type { Failure } from '../../../protocol/result.js';
import { sendApiError } from '../error-reply.js';

/**
 * Replies with an engine failure (a `Failure` of `Result<T, Code>`) as the API's error body, with the
 * status of its code. Every engine code is one of the API's, so the compiler checks the mapping.
 */
export function replyWithResult(reply: FastifyReply, failure: Failure<ApiErrorCode>): FastifyReply {
  return sendApiError(reply, failure.code, failure.message, failure.files);
}
