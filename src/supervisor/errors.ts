import { failure } from '../protocol/result.js';

/**
 * Why a supervisor operation was refused: a stable code, and a message for people (logs, tests). The
 * overseer face sends the protocol's own text for each code (server/overseer/error-text.ts). Where
 * something underneath failed (the store, the spawn), the message is that failure's own text, which
 * the face passes on.
 */
export type SupervisorErrorCode =
  | 'COMMAND_REQUIRED'
  | 'COMMAND_NOT_PINNED'
  | 'ALREADY_RUNNING'
  | 'SPAWN_FAILED'
  | 'DB_ERROR'
  | 'TASK_ID_REQUIRED'
  | 'TASK_NOT_FOUND'
  | 'NOT_ERRORED'
  | 'NO_WORKER'
  | 'SHUTTING_DOWN';

export const Failures = {
  commandRequired: () => failure('COMMAND_REQUIRED', 'no command given'),
  commandNotPinned: (pin: string) => failure('COMMAND_NOT_PINNED', `only the pinned command may run: ${pin}`),
  alreadyRunning: () => failure('ALREADY_RUNNING', 'the task already has a running worker'),
  taskIdRequired: () => failure('TASK_ID_REQUIRED', 'no task id given'),
  taskNotFound: () => failure('TASK_NOT_FOUND', 'no such task'),
  notErrored: () => failure('NOT_ERRORED', 'the task is not errored'),
  noWorker: () => failure('NO_WORKER', 'the task has no worker'),
  shuttingDown: () => failure('SHUTTING_DOWN', 'the supervisor is shutting down'),
  /** `detail`: the store's error message. */
  dbError: (detail: string) => failure('DB_ERROR', detail),
  /** `text`: why the command could not be run, e.g. `exec: "x": executable file not found in $PATH`. */
  spawnFailed: (text: string) => failure('SPAWN_FAILED', text),
} satisfies Record<string, (...args: never[]) => { readonly code: SupervisorErrorCode }>;
