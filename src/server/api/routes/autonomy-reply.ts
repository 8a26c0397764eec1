import type { FastifyReply } from 'fastify';
import type { Failure } from '../../../agent/tasks/result.js';
import { ApiErrorCode } from '../../../api/errors.js';
import { sendApiError } from '../error-reply.js';

/** HTTP status of each failure of the task queue and the Ralph loop. */
const STATUS_BY_CODE: Partial<Record<ApiErrorCode, number>> = {
  [ApiErrorCode.BAD_REQUEST]: 400,
  [ApiErrorCode.INVALID_TASK]: 400,
  [ApiErrorCode.INVALID_PATH]: 400,
  [ApiErrorCode.DEPENDENCY_NOT_FOUND]: 400,
  [ApiErrorCode.DEPENDENCY_CYCLE]: 400,
  [ApiErrorCode.TASK_NOT_FOUND]: 404,
  [ApiErrorCode.SESSION_NOT_FOUND]: 404,
  [ApiErrorCode.TASK_EXISTS]: 409,
  [ApiErrorCode.TASK_RUNNING]: 409,
  [ApiErrorCode.TASK_HAS_DEPENDENTS]: 409,
  [ApiErrorCode.DEPENDENCY_FAILED]: 409,
  [ApiErrorCode.RALPH_RUNNING]: 409,
  [ApiErrorCode.RALPH_NOT_RUNNING]: 409,
  [ApiErrorCode.TASK_LIMIT]: 429,
};

/** Replies with a queue or loop failure as the API's error body; an unmapped code is a server fault. */
export function replyWithAutonomyFailure(reply: FastifyReply, failure: Failure): FastifyReply {
  const status = STATUS_BY_CODE[failure.code];
  if (status === undefined) return sendApiError(reply, 500, ApiErrorCode.INTERNAL, failure.message);
  return sendApiError(reply, status, failure.code, failure.message);
}
