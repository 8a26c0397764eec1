/**
 * What the supervisor publishes about its tasks' processes, on the engine's bus (events/engine-event.ts).
 * These are the engine's own events, not a wire format: the overseer face (server/overseer/encode.ts)
 * turns them into the protocol's `started`/`output`/`exited`/`restarting`/`errored` messages, and the
 * SSE stream leaves them out. Times are epoch milliseconds; faces format them.
 */

export type OutputStream = 'stdout' | 'stderr';

/** A supervised task's worker started: by a request (start/reset) or by an automatic restart. */
export interface SupervisedTaskStartedEvent {
  readonly kind: 'process:started';
  readonly taskId: string;
  readonly pid: number;
  readonly ts: number;
  readonly cause: 'request' | 'restart';
  /** The previous worker's pid, only for automatic restarts. */
  readonly restartOf?: number;
}

/** One line (or one piece of an over-long line) of a worker's output. */
export interface SupervisedTaskOutputEvent {
  readonly kind: 'process:output';
  readonly taskId: string;
  readonly pid: number;
  readonly stream: OutputStream;
  readonly data: string;
  readonly ts: number;
  /** Per-task sequence number, increasing across restarts, for gap detection. */
  readonly seq: number;
}

export interface SupervisedTaskExitedEvent {
  readonly kind: 'process:exited';
  readonly taskId: string;
  readonly pid: number;
  /** The exit status; -1 when a signal ended the process. */
  readonly exitCode: number;
  readonly signal: string | null;
  /** True when the exit was caused by a stop (or shutdown) request. */
  readonly intentional: boolean;
  readonly ts: number;
}

export interface SupervisedTaskRestartingEvent {
  readonly kind: 'process:restarting';
  readonly taskId: string;
  /** The pid that exited. */
  readonly pid: number;
  readonly restartDelayNs: bigint;
  readonly attempt: number;
  readonly ts: number;
}

export interface SupervisedTaskErroredEvent {
  readonly kind: 'process:errored';
  readonly taskId: string;
  readonly pid: number;
  readonly exitCount: number;
  readonly ts: number;
}

export type SupervisedTaskEvent =
  | SupervisedTaskStartedEvent
  | SupervisedTaskOutputEvent
  | SupervisedTaskExitedEvent
  | SupervisedTaskRestartingEvent
  | SupervisedTaskErroredEvent;
