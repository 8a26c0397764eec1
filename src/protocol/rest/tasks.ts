import Type, { type Static } from 'typebox';
import { MAX_ABS_TASK_PRIORITY, MAX_PROMPT_CHARS } from '../limits.js';
import { Nullable } from './nullable.js';

/** A unit of work for the Ralph loop: a prompt, where to run it, what it waits for, how it ends. */
export const QueueTaskStatus = Type.Union([
  Type.Literal('pending'),
  Type.Literal('running'),
  Type.Literal('completed'),
  Type.Literal('failed'),
]);
export type QueueTaskStatus = Static<typeof QueueTaskStatus>;

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

/** Limits of a task request, shared by the REST schema and the queue's own checks. */
export const TaskLimits = {
  /** Longest prompt (characters): the API's prompt limit (spec/claudeman-api.md). */
  promptChars: MAX_PROMPT_CHARS,
  /** Client-chosen ids: short, URL-safe, so they can be typed and put in paths. */
  idPattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$',
  /** Most dependencies of one task: a plan with more is better split into stages. */
  dependencies: 100,
  /**
   * Completion phrase: one line of at most 200 characters without `<`, `>` (they would break the
   * `<promise>PHRASE</promise>` marker) or `"` (the instruction to the agent quotes the tags, so no
   * phrase can join them into a marker; see agent/ralph/task-prompt.ts).
   */
  phrasePattern: '^[^<>"\\r\\n]{1,200}$',
  /** Shortest task timeout (ms): the agent needs at least a turn. */
  minTimeoutMs: 1_000,
  /** Longest task timeout (ms): one day; longer work belongs in several tasks. */
  maxTimeoutMs: 24 * 60 * 60 * 1000,
  /** Priorities are small integers in practice; the bound keeps them exact in SQLite and JSON. */
  maxAbsPriority: MAX_ABS_TASK_PRIORITY,
  /** Most tasks one batch request may create. */
  batchSize: 100,
} as const;

/** `POST /api/tasks`: a new task. `id` is optional (a UUID is chosen); a client id lets later tasks name it. */
export const CreateTaskRequest = Type.Object(
  {
    id: Type.Optional(Type.String({ pattern: TaskLimits.idPattern })),
    prompt: Type.String({ minLength: 1, maxLength: TaskLimits.promptChars }),
    workingDir: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 4096 }))),
    priority: Type.Optional(
      Type.Integer({ minimum: -TaskLimits.maxAbsPriority, maximum: TaskLimits.maxAbsPriority }),
    ),
    dependsOn: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: TaskLimits.dependencies }),
    ),
    completionPhrase: Type.Optional(Type.String({ pattern: TaskLimits.phrasePattern })),
    timeoutMs: Type.Optional(
      Nullable(Type.Integer({ minimum: TaskLimits.minTimeoutMs, maximum: TaskLimits.maxTimeoutMs })),
    ),
  },
  { additionalProperties: false },
);
export type CreateTaskRequest = Static<typeof CreateTaskRequest>;

/** `POST /api/tasks/batch`: several tasks at once, which may depend on each other (checked together). */
export const CreateTaskBatchRequest = Type.Object(
  { tasks: Type.Array(CreateTaskRequest, { minItems: 1, maxItems: TaskLimits.batchSize }) },
  { additionalProperties: false },
);
export type CreateTaskBatchRequest = Static<typeof CreateTaskBatchRequest>;

/** `POST /api/tasks` (201). */
export const CreatedTaskReply = Type.Object({ success: Type.Literal(true), task: QueueTask });

/** `POST /api/tasks/batch` (201): the tasks in the order of the request. */
export const CreatedTasksReply = Type.Object({ success: Type.Literal(true), tasks: Type.Array(QueueTask) });
