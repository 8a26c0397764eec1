import type { RetryPolicy } from './retry/retry-policy.js';

export type TaskState = 'active' | 'stopped' | 'errored';

/** The persisted state of a supervised task: one row of the store. Times are epoch milliseconds. */
export interface TaskRecord {
  readonly taskId: string;
  command: string;
  args: string[];
  retryPolicy: RetryPolicy | null;
  state: TaskState;
  restartCount: number;
  exitCount: number;
  readonly createdAt: number;
  lastStartedAt: number | null;
  lastExitedAt: number | null;
  errorMessage: string | null;
  /** Unintentional exits still inside the retry window, oldest first. */
  exitTimestamps: number[];
}

/**
 * Where task records live; implemented by the SQLite store. insert and update throw when nothing was
 * written; updateEventually, for changes no request waits for, writes later what it cannot write now.
 */
export interface TaskRepository {
  insert(record: TaskRecord): void;
  update(record: TaskRecord): void;
  updateEventually(record: TaskRecord): boolean;
  loadAll(): TaskRecord[];
}
