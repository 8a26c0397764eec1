import type { ApiErrorCode } from '../../protocol/errors.js';
import { type Failure, failure } from '../../protocol/result.js';
import type { StorageErrorCode } from '../../store/storage-errors.js';

/** How sessions and their manager fail: codes of the REST API, so each one has its HTTP status. */
export type SessionErrorCode =
  | Extract<
      ApiErrorCode,
      | 'SESSION_NOT_FOUND'
      | 'SESSION_LIMIT'
      | 'SESSION_BUSY'
      | 'INVALID_PATH'
      | 'NOT_INTERACTIVE'
      | 'NOTHING_TO_RESUME'
      | 'CLAUDE_NOT_FOUND'
      | 'SPAWN_FAILED'
    >
  | StorageErrorCode;

/** Input or a respawn asked of a session whose CLI does not run interactively. */
export function notInteractive(): Failure<'NOT_INTERACTIVE'> {
  return failure('NOT_INTERACTIVE', 'session is not running interactively: start interactive mode first');
}
