import {
  type RetryPolicy,
  retryPolicyFromStored,
  retryPolicyToWire,
  type WireRetryPolicy,
} from '../protocol/overseer/retry-policy.js';
import type { Database } from './database.js';
import { type StorageGuard, storageGuardOf } from './storage-guard.js';

export type TaskState = 'active' | 'stopped' | 'errored';

/** The persisted state of a supervised task: one row of the store. Times are epoch milliseconds. */
export interface TaskRecord {
  readonly taskId: string;
  command: string;
  args: string[];
  retryPolicy: RetryPolicy | null;
  state: TaskState;
  restartCount: number;
  exitCount: number;
  readonly createdAt: number;
  lastStartedAt: number | null;
  lastExitedAt: number | null;
  errorMessage: string | null;
  /** Unintentional exits still inside the retry window, oldest first. */
  exitTimestamps: number[];
}

/**
 * Where the supervisor keeps its task records (the port it depends on; SqliteTaskRepository below is
 * the implementation). insert and update throw when nothing was written; updateEventually, for
 * changes no request waits for, writes later what it cannot write now.
 */
export interface TaskRepository {
  insert(record: TaskRecord): void;
  update(record: TaskRecord): void;
  updateEventually(record: TaskRecord): boolean;
  loadAll(): TaskRecord[];
}

/** The storage guard's key of a task's row. */
function rowKey(taskId: string): string {
  return `overseer_tasks:${taskId}`;
}

interface TaskRow {
  task_id: string;
  command: string;
  args: string;
  retry_policy: string | null;
  state: TaskState;
  restart_count: number;
  exit_count: number;
  created_at: number;
  last_started_at: number | null;
  last_exited_at: number | null;
  error_message: string | null;
  exit_timestamps: string;
}

/** The retry_policy column: the original's three keys, then the opt-in extensions only when set. */
function encodePolicy(policy: RetryPolicy | null): string | null {
  return policy === null ? null : JSON.stringify(retryPolicyToWire(policy, { omitEmpty: false }));
}

function decodePolicy(text: string | null): RetryPolicy | null {
  return text === null ? null : retryPolicyFromStored(JSON.parse(text) as WireRetryPolicy);
}

function toParams(record: TaskRecord) {
  return {
    task_id: record.taskId,
    command: record.command,
    args: JSON.stringify(record.args),
    retry_policy: encodePolicy(record.retryPolicy),
    state: record.state,
    restart_count: record.restartCount,
    exit_count: record.exitCount,
    created_at: record.createdAt,
    last_started_at: record.lastStartedAt,
    last_exited_at: record.lastExitedAt,
    error_message: record.errorMessage,
    exit_timestamps: JSON.stringify(record.exitTimestamps),
  };
}

function fromRow(row: TaskRow): TaskRecord {
  return {
    taskId: row.task_id,
    command: row.command,
    args: JSON.parse(row.args) as string[],
    retryPolicy: decodePolicy(row.retry_policy),
    state: row.state,
    restartCount: row.restart_count,
    exitCount: row.exit_count,
    createdAt: row.created_at,
    lastStartedAt: row.last_started_at,
    lastExitedAt: row.last_exited_at,
    errorMessage: row.error_message,
    exitTimestamps: JSON.parse(row.exit_timestamps) as number[],
  };
}

/** Overseer task records in SQLite, with prepared statements (every state change is one small write). */
export class SqliteTaskRepository implements TaskRepository {
  private readonly insertStatement;
  private readonly updateStatement;
  private readonly selectAll;
  private readonly guard: StorageGuard;

  constructor(db: Database) {
    this.guard = storageGuardOf(db);
    this.insertStatement = db.prepare(`
      INSERT INTO overseer_tasks (task_id, command, args, retry_policy, state, restart_count, exit_count,
        created_at, last_started_at, last_exited_at, error_message, exit_timestamps)
      VALUES (@task_id, @command, @args, @retry_policy, @state, @restart_count, @exit_count,
        @created_at, @last_started_at, @last_exited_at, @error_message, @exit_timestamps)`);
    this.updateStatement = db.prepare(`
      UPDATE overseer_tasks SET command = @command, args = @args, retry_policy = @retry_policy,
        state = @state, restart_count = @restart_count, exit_count = @exit_count,
        created_at = @created_at, last_started_at = @last_started_at, last_exited_at = @last_exited_at,
        error_message = @error_message, exit_timestamps = @exit_timestamps
      WHERE task_id = @task_id`);
    this.selectAll = db.prepare<[], TaskRow>('SELECT * FROM overseer_tasks ORDER BY seq');
  }

  insert(record: TaskRecord): void {
    const params = toParams(record);
    this.guard.write(() => this.insertStatement.run(params), rowKey(record.taskId));
  }

  update(record: TaskRecord): void {
    const params = toParams(record);
    this.guard.write(() => this.updateStatement.run(params), rowKey(record.taskId));
  }

  updateEventually(record: TaskRecord): boolean {
    // The record is mutable: what is written later is the state as of now (or of a later change).
    const params = toParams(record);
    return this.guard.writeEventually(rowKey(record.taskId), () => {
      this.updateStatement.run(params);
    });
  }

  loadAll(): TaskRecord[] {
    return this.selectAll.all().map(fromRow);
  }
}
