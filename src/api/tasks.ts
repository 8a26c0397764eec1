import Type, { type Static } from 'typebox';

/** A unit of work for the Ralph loop: a prompt, where to run it, what it waits for, how it ends. */
export const QueueTaskStatus = Type.Union([
  Type.Literal('pending'),
  Type.Literal('running'),
  Type.Literal('completed'),
  Type.Literal('failed'),
]);
export type QueueTaskStatus = Static<typeof QueueTaskStatus>;

const Nullable = <T extends Type.TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const QueueTask = Type.Object({
  id: Type.String(),
  prompt: Type.String(),
  workingDir: Nullable(Type.String()),
  /** Higher runs first. */
  priority: Type.Integer(),
  /** Tasks that must have completed before this one may run. */
  dependsOn: Type.Array(Type.String()),
  /** The agent prints `<promise>PHRASE</promise>` when the task is done. */
  completionPhrase: Type.String(),
  timeoutMs: Nullable(Type.Integer()),
  status: QueueTaskStatus,
  attempts: Type.Integer(),
  assignedSessionId: Nullable(Type.String()),
  createdAt: Type.Number(),
  startedAt: Nullable(Type.Number()),
  finishedAt: Nullable(Type.Number()),
  error: Nullable(Type.String()),
});
export type QueueTask = Static<typeof QueueTask>;

/** Default completion phrase when a task names none. */
export const DEFAULT_COMPLETION_PHRASE = 'TASK_COMPLETE';
