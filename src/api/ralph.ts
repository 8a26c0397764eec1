import Type, { type Static } from 'typebox';

const Nullable = <T extends Type.TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

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
});
export type RalphStatus = Static<typeof RalphStatus>;
