/**
 * Every event the engine publishes, as one typed union. Faces (the overseer WebSocket, the event log,
 * later the SSE stream and the web UI) subscribe to these and encode them in their own wire formats.
 * Times are epoch milliseconds; faces format them.
 */

import type { SessionInfo } from '../api/session.js';

export type OutputStream = 'stdout' | 'stderr';

/** A supervised task's worker started: by a request (start/reset) or by an automatic restart. */
export interface TaskStartedEvent {
  readonly kind: 'overseer:started';
  readonly taskId: string;
  readonly pid: number;
  readonly ts: number;
  readonly cause: 'request' | 'restart';
  /** The previous worker's pid, only for automatic restarts. */
  readonly restartOf?: number;
}

/** One line (or one piece of an over-long line) of a worker's output. */
export interface TaskOutputEvent {
  readonly kind: 'overseer:output';
  readonly taskId: string;
  readonly pid: number;
  readonly stream: OutputStream;
  readonly data: string;
  readonly ts: number;
  /** Per-task sequence number, increasing across restarts, for gap detection. */
  readonly seq: number;
}

export interface TaskExitedEvent {
  readonly kind: 'overseer:exited';
  readonly taskId: string;
  readonly pid: number;
  /** The exit status; -1 when a signal ended the process. */
  readonly exitCode: number;
  readonly signal: string | null;
  /** True when the exit was caused by a stop (or shutdown) request. */
  readonly intentional: boolean;
  readonly ts: number;
}

export interface TaskRestartingEvent {
  readonly kind: 'overseer:restarting';
  readonly taskId: string;
  /** The pid that exited. */
  readonly pid: number;
  readonly restartDelayNs: bigint;
  readonly attempt: number;
  readonly ts: number;
}

export interface TaskErroredEvent {
  readonly kind: 'overseer:errored';
  readonly taskId: string;
  readonly pid: number;
  readonly exitCount: number;
  readonly ts: number;
}

export type TaskEvent =
  | TaskStartedEvent
  | TaskOutputEvent
  | TaskExitedEvent
  | TaskRestartingEvent
  | TaskErroredEvent;

/** An event about one Claude Code session; `data` is what the SSE stream sends (the API's catalogue). */
interface SessionEventOf<K extends string, D> {
  readonly kind: K;
  readonly sessionId: string;
  readonly data: D;
  readonly ts: number;
}

type NoData = Record<string, never>;

export type SessionEvent =
  | SessionEventOf<'session:created', { readonly session: SessionInfo }>
  | SessionEventOf<'session:updated', { readonly session: SessionInfo }>
  | SessionEventOf<'session:deleted', NoData>
  | SessionEventOf<'session:running', { readonly prompt: string }>
  | SessionEventOf<'session:output', { readonly text: string; readonly raw: string }>
  | SessionEventOf<'session:terminal', { readonly data: string; readonly seq: number }>
  | SessionEventOf<'session:message', { readonly message: unknown }>
  | SessionEventOf<
      'session:completion',
      { readonly cost: number; readonly result: string; readonly isError: boolean }
    >
  | SessionEventOf<'session:exit', { readonly code: number | null; readonly signal: string | null }>
  | SessionEventOf<'session:idle', { readonly reason: string }>
  | SessionEventOf<'session:working', { readonly reason: string }>
  | SessionEventOf<'session:interactive', NoData>
  | SessionEventOf<'session:error', { readonly error: string }>;

export interface CaseCreatedEvent {
  readonly kind: 'case:created';
  readonly data: { readonly name: string; readonly path: string };
  readonly ts: number;
}

/** The whole catalogue. Respawn, queue and schedule events join this union as they arrive. */
export type EngineEvent = TaskEvent | SessionEvent | CaseCreatedEvent;
export type EngineEventKind = EngineEvent['kind'];
