import Type, { type Static } from 'typebox';
import { Nullable } from './nullable.js';

export const ScheduledRunStatus = Type.Union([
  Type.Literal('running'),
  Type.Literal('completed'),
  Type.Literal('stopped'),
  Type.Literal('error'),
]);
export type ScheduledRunStatus = Static<typeof ScheduledRunStatus>;

export const ScheduledLogLine = Type.Object({ ts: Type.Number(), message: Type.String() });
export type ScheduledLogLine = Static<typeof ScheduledLogLine>;

/** Repeated one-shot runs of one prompt in fresh sessions until `endAt`, each told the time left. */
export const ScheduledRun = Type.Object({
  id: Type.String(),
  prompt: Type.String(),
  workingDir: Type.String(),
  durationMinutes: Type.Number(),
  startedAt: Type.Number(),
  endAt: Type.Number(),
  status: ScheduledRunStatus,
  /** The current iteration's session, null between iterations. */
  sessionId: Nullable(Type.String()),
  completedTasks: Type.Integer(),
  totalCost: Type.Number(),
  maxCostUsd: Nullable(Type.Number()),
  /** Timestamped log lines, the most recent ones (bounded). */
  logs: Type.Array(ScheduledLogLine),
  stopReason: Nullable(Type.String()),
});
export type ScheduledRun = Static<typeof ScheduledRun>;

/** `POST /api/scheduled` (201). */
export const CreatedScheduledRunReply = Type.Object({ success: Type.Literal(true), run: ScheduledRun });
