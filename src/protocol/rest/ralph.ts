import Type, { type Static } from 'typebox';
import { MAX_LIMIT_WAIT_MINUTES } from '../limits.js';
import { Nullable } from './nullable.js';

export const RalphAssignment = Type.Object({
  sessionId: Type.String(),
  taskId: Type.String(),
  since: Type.Number(),
});
export type RalphAssignment = Static<typeof RalphAssignment>;

/** The Ralph loop: assigns queued tasks to idle sessions until the queue is done (and time has passed). */
export const RalphStatus = Type.Object({
  running: Type.Boolean(),
  startedAt: Nullable(Type.Number()),
  /** Keep going at least this long (minutes), generating follow-up work when the queue runs dry. */
  minDurationMinutes: Nullable(Type.Number()),
  maxCostUsd: Nullable(Type.Number()),
  /** Most interactive sessions the loop starts itself when none is idle. */
  maxWorkers: Type.Integer(),
  /** Sessions the loop may use (empty: any it starts). */
  sessionIds: Type.Array(Type.String()),
  assignments: Type.Array(RalphAssignment),
  completedCount: Type.Integer(),
  failedCount: Type.Integer(),
  totalCost: Type.Number(),
  stopReason: Nullable(Type.String()),
  /** Set while a usage limit holds the loop: it assigns nothing until then (epoch ms), then resumes. */
  pausedUntil: Nullable(Type.Number()),
  /** Wait for a usage limit to lift and go on (default true); false stops the loop at a limit. */
  autoResume: Type.Boolean(),
  /** Longest wait for a limit to lift (minutes); a later reset stops the loop. */
  maxWaitMinutes: Type.Number(),
});
export type RalphStatus = Static<typeof RalphStatus>;

/** Limits of a start request. */
export const RalphLimits = {
  /** Longest minimum duration (minutes): one week. */
  maxMinDurationMinutes: 7 * 24 * 60,
  /** Largest budget (USD): a guard against a typo of a few zeros, not a policy. */
  maxCostUsd: 100_000,
  /** Most sessions the loop keeps running: each is a Claude Code process and an API spender. */
  maxWorkers: 10,
  /** Most sessions a start request may name. */
  sessionIds: 50,
  /** Longest wait for a usage limit to lift (minutes): a week, the longest plan window. */
  maxWaitMinutes: MAX_LIMIT_WAIT_MINUTES,
} as const;

/** `POST /api/ralph/start`. */
export const StartRalphRequest = Type.Object(
  {
    minDurationMinutes: Type.Optional(
      Nullable(Type.Number({ exclusiveMinimum: 0, maximum: RalphLimits.maxMinDurationMinutes })),
    ),
    sessionIds: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: RalphLimits.sessionIds }),
    ),
    maxCostUsd: Type.Optional(
      Nullable(Type.Number({ exclusiveMinimum: 0, maximum: RalphLimits.maxCostUsd })),
    ),
    maxWorkers: Type.Optional(Type.Integer({ minimum: 0, maximum: RalphLimits.maxWorkers })),
    autoResume: Type.Optional(Type.Boolean()),
    maxWaitMinutes: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: RalphLimits.maxWaitMinutes })),
  },
  { additionalProperties: false },
);
export type StartRalphRequest = Static<typeof StartRalphRequest>;

/** `POST /api/ralph/start` and `/stop`: the loop's status after the change. */
export const RalphStatusReply = Type.Object({ success: Type.Literal(true), status: RalphStatus });
