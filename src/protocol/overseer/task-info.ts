import type { WireRetryPolicy } from './retry-policy.js';

/**
 * A supervised task as the overseer protocol sends it: the items of the `tasks` reply on `/ws` and of
 * `GET /api/overseer/tasks`. Keys are the wire's snake_case, listed in the order the encoder writes
 * them (src/server/overseer/encode.ts, `encodeTaskInfo`, which builds the JSON by hand for speed and
 * byte-level compatibility with the original); optional keys are left out, never null.
 */
export interface TaskInfo {
  readonly task_id: string;
  readonly command: string;
  /** Never null: `[]` when the task has no arguments. */
  readonly args: readonly string[];
  readonly state: TaskInfoState;
  /** Only when the task was started with one; durations in Go's canonical form (e.g. `"1m30s"`). */
  /** The original's keys (each left out when zero), then the extensions (each only when set). */
  readonly retry_policy?: WireRetryPolicy;
  /** Omitted when the task has no worker, or its pid is 0. */
  readonly current_pid?: number;
  /** Omitted when the task has no worker. */
  readonly worker_state?: TaskInfoWorkerState;
  readonly restart_count: number;
  /** RFC 3339 with nanoseconds, as Go formats a time. */
  readonly created_at: string;
  readonly last_started_at?: string;
  readonly last_exited_at?: string;
  /** When the current worker has exited. */
  readonly last_exit_code?: number;
  readonly error_message?: string;
}

export type TaskInfoState = 'active' | 'stopped' | 'errored';
export type TaskInfoWorkerState = 'running' | 'exited';
