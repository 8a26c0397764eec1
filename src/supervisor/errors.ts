/**
 * Expected failures of supervisor operations, as values with stable codes. The messages are the exact
 * strings of the overseer protocol (spec/overseer-protocol.md), which every face may show as they are.
 */
export const SupervisorErrorCode = {
  COMMAND_REQUIRED: 'COMMAND_REQUIRED',
  COMMAND_NOT_PINNED: 'COMMAND_NOT_PINNED',
  ALREADY_RUNNING: 'ALREADY_RUNNING',
  SPAWN_FAILED: 'SPAWN_FAILED',
  DB_ERROR: 'DB_ERROR',
  TASK_ID_REQUIRED: 'TASK_ID_REQUIRED',
  TASK_NOT_FOUND: 'TASK_NOT_FOUND',
  NOT_ERRORED: 'NOT_ERRORED',
  NO_WORKER: 'NO_WORKER',
  SHUTTING_DOWN: 'SHUTTING_DOWN',
} as const;
export type SupervisorErrorCode = (typeof SupervisorErrorCode)[keyof typeof SupervisorErrorCode];

export interface SupervisorError {
  readonly ok: false;
  readonly code: SupervisorErrorCode;
  readonly message: string;
}

export type Result<T> = ({ readonly ok: true } & T) | SupervisorError;

export function failure(code: SupervisorErrorCode, message: string): SupervisorError {
  return { ok: false, code, message };
}

export const Failures = {
  commandRequired: () => failure('COMMAND_REQUIRED', 'command is required'),
  commandNotPinned: (pin: string) =>
    failure('COMMAND_NOT_PINNED', `command must be ${JSON.stringify(pin)} (pinned)`),
  alreadyRunning: () => failure('ALREADY_RUNNING', 'task already has a running worker'),
  taskIdRequired: () => failure('TASK_ID_REQUIRED', 'task_id is required'),
  taskNotFound: () => failure('TASK_NOT_FOUND', 'task not found'),
  notErrored: () => failure('NOT_ERRORED', 'task is not in errored state'),
  noWorker: () => failure('NO_WORKER', 'no worker for task'),
  shuttingDown: () => failure('SHUTTING_DOWN', 'server is shutting down'),
  dbError: (detail: string) => failure('DB_ERROR', `db error: ${detail}`),
  spawnFailed: (text: string) => failure('SPAWN_FAILED', text),
};
