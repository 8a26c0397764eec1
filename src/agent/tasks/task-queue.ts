import { randomUUID } from 'node:crypto';
import type { QueueTaskEvent } from '../../protocol/events.js';
import type { QueueTask, QueueTaskStatus } from '../../protocol/rest/tasks.js';
import { failure, type Result } from '../../protocol/result.js';
import type { QueueTaskRepository } from '../../store/queue-tasks.js';
import { tryWrite } from '../../store/storage-errors.js';
import type { Clock } from '../../supervisor/clock.js';
import type { LimitReason } from '../../util/limit-reasons.js';
import type { WorkingDirResult } from '../cases/working-dir.js';
import { describeCycle, findCycle, missingDependencies, transitiveDependents } from './dependency-graph.js';
import { type CheckedTask, checkNewTask, type NewTask } from './task-validation.js';

/**
 * Most tasks kept (any status): each holds a prompt of up to 100,000 characters in memory. Finished
 * tasks stay until deleted, so that their outcome can be read; past this, delete some first.
 */
export const MAX_QUEUE_TASKS = 10_000;
export const MAX_QUEUE_TASKS_REASON: LimitReason = {
  metric: 'max_queue_tasks',
  reason: 'Most tasks in the queue (429 TASK_LIMIT beyond); finished ones can be deleted.',
};

export interface TaskQueueOptions {
  readonly repository: QueueTaskRepository;
  readonly clock: Clock;
  readonly publish: (event: QueueTaskEvent) => void;
  /** Validates a client's working directory (relative ones inside the cases root). */
  readonly resolveWorkingDir: (input: string) => WorkingDirResult;
  readonly newId?: () => string;
}

export interface QueueRestoreSummary {
  readonly tasks: number;
  /** Tasks that were running when the server stopped, now pending again. */
  readonly requeued: number;
}

export type QueueCounts = Record<QueueTaskStatus, number>;

function snapshot(task: QueueTask): QueueTask {
  return { ...task, dependsOn: [...task.dependsOn] };
}

/**
 * The Ralph loop's work: tasks with priorities and dependencies, persisted on every change (written
 * before memory and events, so a crash never shows a state the store does not have).
 *
 * - **Storage**: what a client asks for (add, remove) is refused when the store cannot write it
 *   (STORAGE_FULL, STORAGE_UNAVAILABLE), and nothing changes. The loop's own changes (running,
 *   completed, failed, requeued) go on when the store cannot take them; it writes them as soon as it
 *   can (see StorageGuard), and until then a restart would run such a task again.
 *
 * - **Order**: `next()` is the ready task with the highest priority; ties go to the older task.
 * - **Ready**: pending, and every dependency completed.
 * - **Admission**: a dependency must name an existing task or one of the same batch (else
 *   DEPENDENCY_NOT_FOUND); a cycle, which can only form inside one batch (a self-dependency, or batch
 *   tasks waiting for each other), is DEPENDENCY_CYCLE with the cycle named; a dependency that already
 *   failed is DEPENDENCY_FAILED, since the task could never run.
 * - **Failure spreads**: when a task fails, every pending task that depends on it, directly or not,
 *   fails too ("dependency X failed"), so nothing waits forever for work that will not happen.
 * - **Removal**: a running task cannot be removed (TASK_RUNNING: stop the loop first, which puts it
 *   back to pending), nor a task that pending or running tasks still wait for (TASK_HAS_DEPENDENTS).
 */
export class TaskQueue {
  /** In creation order, which breaks priority ties. */
  private readonly tasks = new Map<string, QueueTask>();
  /** Each task's place in creation order (never reused): what a page of the list starts after. */
  private readonly ordinals = new Map<string, number>();
  private nextOrdinal = 1;
  private readonly listeners = new Set<() => void>();
  private readonly newId: () => string;

  constructor(private readonly options: TaskQueueOptions) {
    this.newId = options.newId ?? randomUUID;
  }

  /**
   * Loads the stored tasks. No agent survives a restart, so a task that was running goes back to
   * pending with its attempts kept (the Ralph loop gives up on a task after a few attempts).
   */
  /**
   * Loads the stored tasks. A task that was running goes back to pending, unless `keepRunning` says
   * its agent survived the restart (a session adopted from tmux): then it stays running, for the
   * Ralph loop to watch on (or requeue, see RalphLoop.restore).
   */
  restore(keepRunning: (task: QueueTask) => boolean = () => false): QueueRestoreSummary {
    this.tasks.clear();
    this.ordinals.clear();
    const interrupted: QueueTask[] = [];
    for (const stored of this.options.repository.loadAll()) {
      const task =
        stored.status === 'running' && !keepRunning(stored)
          ? { ...stored, status: 'pending' as const, assignedSessionId: null, startedAt: null }
          : stored;
      if (task !== stored) interrupted.push(task);
      this.tasks.set(task.id, task);
      this.ordinals.set(task.id, this.nextOrdinal++);
    }
    if (interrupted.length > 0) this.options.repository.updateEventually(interrupted);
    return { tasks: this.tasks.size, requeued: interrupted.length };
  }

  add(spec: NewTask): Result<{ task: QueueTask }> {
    const added = this.addAll([spec]);
    if (!added.ok) return added;
    const [task] = added.tasks;
    if (task === undefined) throw new Error('addAll returned no task for one request');
    return { ok: true, task };
  }

  /** Adds several tasks, which may depend on each other, all or none. */
  addAll(specs: readonly NewTask[]): Result<{ tasks: QueueTask[] }> {
    const checked: CheckedTask[] = [];
    for (const spec of specs) {
      const result = checkNewTask(spec, this.newId, this.options.resolveWorkingDir);
      if (!result.ok) return result;
      checked.push(result.task);
    }
    const batch = new Map<string, CheckedTask>();
    for (const task of checked) {
      if (this.tasks.has(task.id) || batch.has(task.id)) {
        return failure('TASK_EXISTS', `a task with id ${task.id} already exists`);
      }
      batch.set(task.id, task);
    }
    if (this.tasks.size + batch.size > MAX_QUEUE_TASKS) {
      return failure('TASK_LIMIT', `at most ${MAX_QUEUE_TASKS} tasks; delete finished ones first`);
    }
    for (const task of checked) {
      const missing = missingDependencies(task.dependsOn, (id) => this.tasks.has(id) || batch.has(id));
      if (missing.length > 0) {
        return failure(
          'DEPENDENCY_NOT_FOUND',
          `task ${task.id} depends on unknown task${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`,
        );
      }
      const failed = task.dependsOn.filter((id) => this.tasks.get(id)?.status === 'failed');
      if (failed.length > 0) {
        return failure(
          'DEPENDENCY_FAILED',
          `task ${task.id} depends on failed task${failed.length > 1 ? 's' : ''} ${failed.join(', ')}`,
        );
      }
    }
    // Stored tasks never depend on new ones, so only edges inside the batch can close a cycle.
    const cycle = findCycle(batch.keys(), (id) => batch.get(id)?.dependsOn);
    if (cycle !== null) return failure('DEPENDENCY_CYCLE', `dependency cycle: ${describeCycle(cycle)}`);

    const now = this.options.clock.now();
    const created: QueueTask[] = checked.map((task) => ({
      ...task,
      dependsOn: [...task.dependsOn],
      status: 'pending',
      attempts: 0,
      assignedSessionId: null,
      createdAt: now,
      startedAt: null,
      finishedAt: null,
      error: null,
    }));
    const stored = tryWrite(() => this.options.repository.insert(created));
    if (stored !== null) return stored;
    for (const task of created) {
      this.tasks.set(task.id, task);
      this.ordinals.set(task.id, this.nextOrdinal++);
    }
    for (const task of created) this.emit('task:created', task);
    this.changed();
    return { ok: true, tasks: created.map(snapshot) };
  }

  get(id: string): QueueTask | undefined {
    const task = this.tasks.get(id);
    return task === undefined ? undefined : snapshot(task);
  }

  list(): QueueTask[] {
    return [...this.tasks.values()].map(snapshot);
  }

  /**
   * The tasks created after the one at `ordinal` (0: from the first), in creation order, each with
   * its own ordinal: a page of the list starts where the last one ended, also when tasks were added
   * or deleted in between. Lazy, so a page copies only what it sends.
   */
  *listAfter(ordinal: number): Generator<{ readonly ordinal: number; readonly task: QueueTask }> {
    for (const task of this.tasks.values()) {
      const own = this.ordinals.get(task.id) ?? 0;
      if (own > ordinal) yield { ordinal: own, task: snapshot(task) };
    }
  }

  get size(): number {
    return this.tasks.size;
  }

  /** Pending tasks whose dependencies have all completed, highest priority first, then oldest first. */
  ready(): QueueTask[] {
    const ready = [...this.tasks.values()].filter((task) => this.isReady(task));
    // Array.prototype.sort is stable: equal priorities keep creation order.
    return ready.sort((a, b) => b.priority - a.priority).map(snapshot);
  }

  /** The task to run next, or null when none is ready. */
  next(): QueueTask | null {
    let best: QueueTask | null = null;
    for (const task of this.tasks.values()) {
      if (this.isReady(task) && (best === null || task.priority > best.priority)) best = task;
    }
    return best === null ? null : snapshot(best);
  }

  counts(): QueueCounts {
    const counts: QueueCounts = { pending: 0, running: 0, completed: 0, failed: 0 };
    for (const task of this.tasks.values()) counts[task.status]++;
    return counts;
  }

  /** Hands a ready task to a session: one more attempt. Throws unless the task is ready (a bug). */
  markRunning(id: string, sessionId: string): QueueTask {
    const task = this.require(id);
    if (!this.isReady(task)) throw new Error(`task ${id} is not ready to run (${task.status})`);
    return this.update(task, 'task:updated', {
      status: 'running',
      attempts: task.attempts + 1,
      assignedSessionId: sessionId,
      startedAt: this.options.clock.now(),
      finishedAt: null,
      error: null,
    });
  }

  /** The agent printed the completion marker. Throws unless the task runs (a bug). */
  markCompleted(id: string): QueueTask {
    const task = this.require(id);
    if (task.status !== 'running') throw new Error(`task ${id} is not running (${task.status})`);
    return this.update(task, 'task:completed', {
      status: 'completed',
      finishedAt: this.options.clock.now(),
      error: null,
    });
  }

  /**
   * Fails a pending or running task and, with it, every pending task that depends on it. Returns the
   * failed tasks, this one first. Throws for a finished task (a bug).
   */
  markFailed(id: string, error: string): QueueTask[] {
    const task = this.require(id);
    if (task.status !== 'pending' && task.status !== 'running') {
      throw new Error(`task ${id} has already finished (${task.status})`);
    }
    const now = this.options.clock.now();
    const dependents = transitiveDependents(id, (of) => this.directDependents(of)).flatMap((dependentId) => {
      const dependent = this.tasks.get(dependentId);
      return dependent?.status === 'pending' ? [dependent] : [];
    });
    const failedTask: QueueTask = { ...task, status: 'failed', finishedAt: now, error };
    const failedDependents = dependents.map(
      (dependent): QueueTask => ({
        ...dependent,
        status: 'failed',
        finishedAt: now,
        error: `dependency ${id} failed`,
      }),
    );
    const all = [failedTask, ...failedDependents];
    this.options.repository.updateEventually(all);
    for (const updated of all) {
      this.tasks.set(updated.id, updated);
      this.emit('task:failed', updated);
    }
    this.changed();
    return all.map(snapshot);
  }

  /** A running task goes back to pending (its agent is gone, or the loop stopped); attempts are kept. */
  requeue(id: string): QueueTask {
    const task = this.require(id);
    if (task.status !== 'running') throw new Error(`task ${id} is not running (${task.status})`);
    return this.update(task, 'task:updated', { status: 'pending', assignedSessionId: null, startedAt: null });
  }

  remove(id: string): Result {
    const task = this.tasks.get(id);
    if (task === undefined) return failure('TASK_NOT_FOUND', `no task ${id}`);
    if (task.status === 'running') {
      return failure('TASK_RUNNING', `task ${id} is running; stop the Ralph loop first`);
    }
    const waiting = [...this.directDependents(id)].filter((dependentId) => {
      const status = this.tasks.get(dependentId)?.status;
      return status === 'pending' || status === 'running';
    });
    if (waiting.length > 0) {
      return failure('TASK_HAS_DEPENDENTS', `tasks ${waiting.join(', ')} depend on task ${id}`);
    }
    const deleted = tryWrite(() => this.options.repository.delete(id));
    if (deleted !== null) return deleted;
    this.tasks.delete(id);
    this.ordinals.delete(id);
    this.options.publish({ kind: 'task:deleted', data: { id }, ts: this.options.clock.now() });
    this.changed();
    return { ok: true };
  }

  /** Called after every change (new tasks, status changes, removals); returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private isReady(task: QueueTask): boolean {
    // A missing dependency (only possible by editing the database) keeps the task waiting.
    return (
      task.status === 'pending' && task.dependsOn.every((id) => this.tasks.get(id)?.status === 'completed')
    );
  }

  private *directDependents(id: string): Iterable<string> {
    for (const task of this.tasks.values()) if (task.dependsOn.includes(id)) yield task.id;
  }

  private require(id: string): QueueTask {
    const task = this.tasks.get(id);
    if (task === undefined) throw new Error(`no task ${id}`);
    return task;
  }

  private update(
    task: QueueTask,
    kind: 'task:updated' | 'task:completed',
    changes: Partial<QueueTask>,
  ): QueueTask {
    const updated: QueueTask = { ...task, ...changes };
    this.options.repository.updateEventually([updated]);
    this.tasks.set(updated.id, updated);
    this.emit(kind, updated);
    this.changed();
    return snapshot(updated);
  }

  private emit(
    kind: 'task:created' | 'task:updated' | 'task:completed' | 'task:failed',
    task: QueueTask,
  ): void {
    this.options.publish({ kind, data: { task: snapshot(task) }, ts: this.options.clock.now() });
  }

  private changed(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
