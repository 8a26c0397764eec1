import type { Result } from '../protocol/result.js';
import type { TaskRecord, TaskRepository } from '../store/overseer-tasks.js';
import { Failures } from './errors.js';

export interface SupervisorLog {
  warn(message: string, detail?: Record<string, unknown>): void;
}

/**
 * How the supervisor writes its task records, by who waits for the write: a change a client asked for
 * is written before it is made (a refusal is the client's error and nothing changes); a change no
 * client waits for is written now or as soon as the store takes writes again.
 */
export class TaskWrites {
  constructor(
    private readonly repository: TaskRepository,
    private readonly log: SupervisorLog | undefined,
  ) {}

  loadAll(): TaskRecord[] {
    return this.repository.loadAll();
  }

  /** A new task, written before it exists in memory: a failed write refuses the start (DB_ERROR). */
  insert(record: TaskRecord): Result<object, 'DB_ERROR'> {
    try {
      this.repository.insert(record);
      return { ok: true };
    } catch (error) {
      return Failures.dbError((error as Error).message);
    }
  }

  /**
   * A change a client asked for, written before it is made: a failed write (e.g. the disk is full)
   * is the client's error (DB_ERROR, with the store's message) and nothing changes.
   */
  write(record: TaskRecord): Result<object, 'DB_ERROR'> {
    try {
      this.repository.update(record);
      return { ok: true };
    } catch (error) {
      return Failures.dbError((error as Error).message);
    }
  }

  /**
   * A change no client waits for (an exit, a restart): the store writes it now, or later when it
   * takes writes again (a full disk), and counts it as pending meanwhile (see StorageGuard).
   */
  persistEventually(record: TaskRecord): void {
    try {
      this.repository.updateEventually(record);
    } catch (error) {
      // Not a storage fault (those are kept for later): a bug, reported, never thrown into an exit.
      this.log?.warn('task state not persisted', { taskId: record.taskId, error: (error as Error).message });
    }
  }
}
