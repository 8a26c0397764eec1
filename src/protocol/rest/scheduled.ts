import Type, { type Static } from 'typebox';
import { MAX_LIMIT_WAIT_MINUTES } from '../limits.js';
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
  /** Wait for a usage limit to lift and go on (default true); false ends the run at a limit. */
  autoResume: Type.Boolean(),
  /** Longest wait for a limit to lift (minutes); a later reset ends the run. */
  maxWaitMinutes: Type.Number(),
  /** Set while a usage limit holds the run (epoch ms): the next iteration starts then. */
  pausedUntil: Nullable(Type.Number()),
});
export type ScheduledRun = Static<typeof ScheduledRun>;

/** The usage-limit policy fields of `POST /api/scheduled`. */
export const ScheduledLimitPolicyFields = {
  autoResume: Type.Optional(Type.Boolean()),
  maxWaitMinutes: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: MAX_LIMIT_WAIT_MINUTES })),
};

/** `POST /api/scheduled` (201). */
export const CreatedScheduledRunReply = Type.Object({ success: Type.Literal(true), run: ScheduledRun });
