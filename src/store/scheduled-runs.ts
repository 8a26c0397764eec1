import type { ScheduledLogLine, ScheduledRun, ScheduledRunStatus } from '../protocol/rest/scheduled.js';
import type { Database } from './database.js';
import { type StorageGuard, storageGuardOf } from './storage-guard.js';

/** The storage guard's key of a run's row. */
function rowKey(id: string): string {
  return `scheduled_runs:${id}`;
}

interface ScheduledRunRow {
  id: string;
  prompt: string;
  working_dir: string;
  duration_minutes: number;
  started_at: number;
  end_at: number;
  status: ScheduledRunStatus;
  session_id: string | null;
  completed_tasks: number;
  total_cost: number;
  max_cost_usd: number | null;
  logs: string;
  stop_reason: string | null;
  auto_resume: number;
  max_wait_minutes: number;
  paused_until: number | null;
}

function toRow(run: ScheduledRun): ScheduledRunRow {
  return {
    id: run.id,
    prompt: run.prompt,
    working_dir: run.workingDir,
    duration_minutes: run.durationMinutes,
    started_at: run.startedAt,
    end_at: run.endAt,
    status: run.status,
    session_id: run.sessionId,
    completed_tasks: run.completedTasks,
    total_cost: run.totalCost,
    max_cost_usd: run.maxCostUsd,
    logs: JSON.stringify(run.logs),
    stop_reason: run.stopReason,
    auto_resume: run.autoResume ? 1 : 0,
    max_wait_minutes: run.maxWaitMinutes,
    paused_until: run.pausedUntil,
  };
}

function fromRow(row: ScheduledRunRow): ScheduledRun {
  return {
    id: row.id,
    prompt: row.prompt,
    workingDir: row.working_dir,
    durationMinutes: row.duration_minutes,
    startedAt: row.started_at,
    endAt: row.end_at,
    status: row.status,
    sessionId: row.session_id,
    completedTasks: row.completed_tasks,
    totalCost: row.total_cost,
    maxCostUsd: row.max_cost_usd,
    logs: parseLogs(row.logs),
    stopReason: row.stop_reason,
    autoResume: row.auto_resume !== 0,
    maxWaitMinutes: row.max_wait_minutes,
    pausedUntil: row.paused_until,
  };
}

/** The stored log; a damaged column costs the log lines, never the run. */
function parseLogs(text: string): ScheduledLogLine[] {
  try {
    const value: unknown = JSON.parse(text);
    if (!Array.isArray(value)) return [];
    return value.filter(
      (line): line is ScheduledLogLine =>
        typeof line === 'object' &&
        line !== null &&
        typeof (line as ScheduledLogLine).ts === 'number' &&
        typeof (line as ScheduledLogLine).message === 'string',
    );
  } catch {
    return [];
  }
}

/** What scheduled runs need from the store (the SQLite repository below; tests may pass it ':memory:'). */
export interface ScheduledRunRepository {
  /** Throws StorageError when nothing was written. */
  save(run: ScheduledRun): void;
  /** For changes no request waits for: what cannot be written now is written later. */
  saveEventually(run: ScheduledRun): boolean;
  deleteEventually(id: string): boolean;
  loadAll(): ScheduledRun[];
}

/** Scheduled runs in SQLite, one row each, in creation order. */
export class SqliteScheduledRunRepository implements ScheduledRunRepository {
  private readonly upsertStatement;
  private readonly deleteStatement;
  private readonly selectAll;
  private readonly guard: StorageGuard;

  constructor(db: Database) {
    this.guard = storageGuardOf(db);
    this.upsertStatement = db.prepare(`
      INSERT INTO scheduled_runs (id, prompt, working_dir, duration_minutes, started_at, end_at, status,
        session_id, completed_tasks, total_cost, max_cost_usd, logs, stop_reason, auto_resume,
        max_wait_minutes, paused_until)
      VALUES (@id, @prompt, @working_dir, @duration_minutes, @started_at, @end_at, @status,
        @session_id, @completed_tasks, @total_cost, @max_cost_usd, @logs, @stop_reason, @auto_resume,
        @max_wait_minutes, @paused_until)
      ON CONFLICT (id) DO UPDATE SET status = excluded.status, session_id = excluded.session_id,
        completed_tasks = excluded.completed_tasks, total_cost = excluded.total_cost, logs = excluded.logs,
        stop_reason = excluded.stop_reason, paused_until = excluded.paused_until`);
    this.deleteStatement = db.prepare('DELETE FROM scheduled_runs WHERE id = ?');
    this.selectAll = db.prepare<[], ScheduledRunRow>('SELECT * FROM scheduled_runs ORDER BY seq');
  }

  save(run: ScheduledRun): void {
    const row = toRow(run);
    this.guard.write(() => this.upsertStatement.run(row), rowKey(run.id));
  }

  saveEventually(run: ScheduledRun): boolean {
    const row = toRow(run);
    return this.guard.writeEventually(rowKey(run.id), () => {
      this.upsertStatement.run(row);
    });
  }

  /** Throws StorageError when nothing was written. */
  delete(id: string): void {
    this.guard.write(() => this.deleteStatement.run(id));
    this.guard.forget(rowKey(id));
  }

  deleteEventually(id: string): boolean {
    return this.guard.writeEventually(rowKey(id), () => {
      this.deleteStatement.run(id);
    });
  }

  loadAll(): ScheduledRun[] {
    return this.selectAll.all().map(fromRow);
  }
}
