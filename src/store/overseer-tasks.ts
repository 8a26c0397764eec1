import type { RetryPolicy } from '../supervisor/retry/retry-policy.js';
import type { TaskRecord, TaskRepository, TaskState } from '../supervisor/task-record.js';
import { formatGoDuration, parseGoDuration } from '../util/go-duration.js';
import type { Database } from './database.js';
import { type StorageGuard, storageGuardOf } from './storage-guard.js';

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
interface StoredPolicy {
  restart_delay: string;
  error_window: string;
  error_threshold: number;
  backoff_multiplier?: number;
  max_restart_delay?: string;
  jitter?: number;
  reset_after?: string;
  no_restart_exit_codes?: number[];
  always_restart_exit_codes?: number[];
}

function encodePolicy(policy: RetryPolicy | null): string | null {
  if (policy === null) return null;
  const stored: StoredPolicy = {
    restart_delay: formatGoDuration(policy.restartDelayNs),
    error_window: formatGoDuration(policy.errorWindowNs),
    error_threshold: policy.errorThreshold,
    // JSON.stringify leaves out undefined values: a plain policy is stored exactly as before.
    backoff_multiplier: policy.backoffMultiplier,
    max_restart_delay: optionalDuration(policy.maxRestartDelayNs),
    jitter: policy.jitter,
    reset_after: optionalDuration(policy.resetAfterNs),
    no_restart_exit_codes: policy.noRestartExitCodes?.slice(),
    always_restart_exit_codes: policy.alwaysRestartExitCodes?.slice(),
  };
  return JSON.stringify(stored);
}

function decodePolicy(text: string | null): RetryPolicy | null {
  if (text === null) return null;
  const stored = JSON.parse(text) as StoredPolicy;
  // Rows written before the extensions existed lack their keys and decode to a plain policy.
  const policy: { -readonly [K in keyof RetryPolicy]: RetryPolicy[K] } = {
    restartDelayNs: parseGoDuration(stored.restart_delay),
    errorWindowNs: parseGoDuration(stored.error_window),
    errorThreshold: stored.error_threshold,
  };
  if (stored.backoff_multiplier !== undefined) policy.backoffMultiplier = stored.backoff_multiplier;
  if (stored.max_restart_delay !== undefined)
    policy.maxRestartDelayNs = parseGoDuration(stored.max_restart_delay);
  if (stored.jitter !== undefined) policy.jitter = stored.jitter;
  if (stored.reset_after !== undefined) policy.resetAfterNs = parseGoDuration(stored.reset_after);
  if (stored.no_restart_exit_codes !== undefined) policy.noRestartExitCodes = stored.no_restart_exit_codes;
  if (stored.always_restart_exit_codes !== undefined)
    policy.alwaysRestartExitCodes = stored.always_restart_exit_codes;
  return policy;
}

function optionalDuration(ns: bigint | undefined): string | undefined {
  return ns === undefined ? undefined : formatGoDuration(ns);
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
