import type { Failure } from '../../protocol/result.js';
import type { SupervisorErrorCode } from '../../supervisor/errors.js';

/**
 * The overseer protocol's exact error strings (docs/overseer-protocol.md, "Error messages"): clients
 * written for the original compare them, so they are the face's to keep, byte for byte.
 */

/** Errors of decoding and routing a frame, before the engine is asked anything. */
export const DecodeErrors = {
  invalidJson: 'invalid JSON',
  unknownType: 'unknown message type',
  invalidSince: 'invalid since timestamp',
} as const;

/** A frame whose handling failed unexpectedly (the cause is logged, never sent). */
export const INTERNAL_ERROR_TEXT = 'internal error';

/**
 * The protocol's text for a refusal of the engine. Failures of something underneath carry that
 * failure's own text, which the protocol shows (after `db error: ` for the store).
 */
export function supervisorErrorText(
  failure: Failure<SupervisorErrorCode>,
  pinnedCommand: string | null,
): string {
  switch (failure.code) {
    case 'COMMAND_REQUIRED':
      return 'command is required';
    case 'COMMAND_NOT_PINNED':
      return `command must be ${JSON.stringify(pinnedCommand ?? '')} (pinned)`;
    case 'ALREADY_RUNNING':
      return 'task already has a running worker';
    case 'TASK_ID_REQUIRED':
      return 'task_id is required';
    case 'TASK_NOT_FOUND':
      return 'task not found';
    case 'NOT_ERRORED':
      return 'task is not in errored state';
    case 'NO_WORKER':
      return 'no worker for task';
    case 'SHUTTING_DOWN':
      return 'server is shutting down';
    case 'DB_ERROR':
      return `db error: ${failure.message}`;
    case 'SPAWN_FAILED':
      return failure.message;
  }
}
