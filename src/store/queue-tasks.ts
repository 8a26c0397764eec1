import type { QueueTask, QueueTaskStatus } from '../protocol/rest/tasks.js';
import type { Database } from './database.js';
import { StorageError } from './storage-errors.js';
import { type StorageGuard, storageGuardOf } from './storage-guard.js';

/** The storage guard's key of a task's row. */
function rowKey(id: string): string {
  return `queue_tasks:${id}`;
}

interface QueueTaskRow {
  id: string;
  prompt: string;
  working_dir: string | null;
  priority: number;
  depends_on: string;
  completion_phrase: string;
  timeout_ms: number | null;
  status: QueueTaskStatus;
  attempts: number;
  assigned_session_id: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  error: string | null;
}

function toRow(task: QueueTask): QueueTaskRow {
  return {
    id: task.id,
    prompt: task.prompt,
    working_dir: task.workingDir,
    priority: task.priority,
    depends_on: JSON.stringify(task.dependsOn),
    completion_phrase: task.completionPhrase,
    timeout_ms: task.timeoutMs,
    status: task.status,
    attempts: task.attempts,
    assigned_session_id: task.assignedSessionId,
    created_at: task.createdAt,
    started_at: task.startedAt,
    finished_at: task.finishedAt,
    error: task.error,
  };
}

function fromRow(row: QueueTaskRow): QueueTask {
  return {
    id: row.id,
    prompt: row.prompt,
    workingDir: row.working_dir,
    priority: row.priority,
    dependsOn: JSON.parse(row.depends_on) as string[],
    completionPhrase: row.completion_phrase,
    timeoutMs: row.timeout_ms,
    status: row.status,
    attempts: row.attempts,
    assignedSessionId: row.assigned_session_id,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    error: row.error,
  };
}

/**
 * What the task queue needs from storage; SQLite in the server, the same class in tests (`:memory:`).
 * Writes throw StorageError when nothing could be written (the *Eventually ones never do).
 */
export interface QueueTaskRepository {
  /** Inserts new tasks in one transaction: a batch is stored whole or not at all. */
  insert(tasks: readonly QueueTask[]): void;
  /** Writes the changed state of existing tasks in one transaction. */
  update(tasks: readonly QueueTask[]): void;
  /** As update, for changes no request waits for: what cannot be written now is written later. */
  updateEventually(tasks: readonly QueueTask[]): boolean;
  delete(id: string): void;
  /** Every task in creation order (the order that breaks priority ties). */
  loadAll(): QueueTask[];
}

/** The task queue in SQLite (table `queue_tasks`, migration 3). */
export class SqliteQueueTaskRepository implements QueueTaskRepository {
  private readonly insertStatement;
  private readonly updateStatement;
  private readonly deleteStatement;
  private readonly selectAll;
  private readonly insertMany;
  private readonly updateMany;
  private readonly guard: StorageGuard;

  constructor(db: Database) {
    this.guard = storageGuardOf(db);
    this.insertStatement = db.prepare(`
      INSERT INTO queue_tasks (id, prompt, working_dir, priority, depends_on, completion_phrase, timeout_ms,
        status, attempts, assigned_session_id, created_at, started_at, finished_at, error)
      VALUES (@id, @prompt, @working_dir, @priority, @depends_on, @completion_phrase, @timeout_ms,
        @status, @attempts, @assigned_session_id, @created_at, @started_at, @finished_at, @error)`);
    // Only what changes after creation; the prompt, dependencies and settings are fixed.
    this.updateStatement = db.prepare(`
      UPDATE queue_tasks SET status = @status, attempts = @attempts, assigned_session_id = @assigned_session_id,
        started_at = @started_at, finished_at = @finished_at, error = @error
      WHERE id = @id`);
    this.deleteStatement = db.prepare('DELETE FROM queue_tasks WHERE id = ?');
    this.selectAll = db.prepare<[], QueueTaskRow>('SELECT * FROM queue_tasks ORDER BY seq');
    this.insertMany = db.transaction((rows: readonly QueueTaskRow[]) => {
      for (const row of rows) this.insertStatement.run(row);
    });
    this.updateMany = db.transaction((rows: readonly QueueTaskRow[]) => {
      for (const row of rows) this.updateStatement.run(row);
    });
  }

  insert(tasks: readonly QueueTask[]): void {
    const rows = tasks.map(toRow);
    this.guard.write(() => this.insertMany(rows));
  }

  update(tasks: readonly QueueTask[]): void {
    const rows = tasks.map(toRow);
    this.guard.write(
      () => this.updateMany(rows),
      rows.map((row) => rowKey(row.id)),
    );
  }

  updateEventually(tasks: readonly QueueTask[]): boolean {
    const rows = tasks.map(toRow);
    try {
      this.update(tasks);
      return true;
    } catch (error) {
      if (!(error instanceof StorageError)) throw error;
      for (const row of rows) this.guard.defer(rowKey(row.id), () => this.updateStatement.run(row));
      return false;
    }
  }

  delete(id: string): void {
    this.guard.write(() => this.deleteStatement.run(id));
    this.guard.forget(rowKey(id));
  }

  loadAll(): QueueTask[] {
    return this.selectAll.all().map(fromRow);
  }
}
