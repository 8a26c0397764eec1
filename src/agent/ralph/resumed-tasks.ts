import type { QueueTask } from '../../protocol/rest/tasks.js';
import type { TaskQueue } from '../tasks/task-queue.js';
import type { WorkerSession, WorkerSessions } from './worker-session.js';

/**
 * Least time a task resumed after a restart gets before it times out (ms): enough for the re-attached
 * terminal to redraw the agent's screen, where a marker printed during the downtime would stand.
 */
const RESUME_GRACE_MS = 60_000;

/** Requeues the running tasks that `keep` rejects; returns the ones it keeps. */
export function requeueInterrupted(queue: TaskQueue, keep: (task: QueueTask) => boolean): QueueTask[] {
  const kept: QueueTask[] = [];
  for (const task of queue.list()) {
    if (task.status !== 'running') continue;
    if (keep(task)) kept.push(task);
    else queue.requeue(task.id);
  }
  return kept;
}

/**
 * After a restart: the tasks the queue kept running because their agent survived (a session of the
 * loop's pool, `poolIds`, still interactive), each with its session. Any other running task (its
 * agent is gone, or not one of ours) is pending again.
 */
export function resumableTasks(
  queue: TaskQueue,
  sessions: WorkerSessions,
  poolIds: readonly string[],
): Array<{ readonly task: QueueTask; readonly session: WorkerSession }> {
  const ours = new Set(poolIds);
  const resumable = (task: QueueTask): boolean => {
    const id = task.assignedSessionId;
    return id !== null && ours.has(id) && sessions.get(id)?.isInteractive === true;
  };
  const resumed: Array<{ task: QueueTask; session: WorkerSession }> = [];
  for (const task of requeueInterrupted(queue, resumable)) {
    const session = sessions.get(task.assignedSessionId ?? '');
    if (session !== undefined) resumed.push({ task, session });
  }
  return resumed;
}

/** What is left of a resumed task's time, and never less than a grace for the screen to be redrawn. */
export function resumedTimeoutMs(task: QueueTask, defaultTimeoutMs: number, now: number): number {
  const elapsed = now - (task.startedAt ?? now);
  return Math.max((task.timeoutMs ?? defaultTimeoutMs) - elapsed, RESUME_GRACE_MS);
}
