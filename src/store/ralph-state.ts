import type { Database } from './database.js';
import { type StorageGuard, storageGuardOf } from './storage-guard.js';

/** The storage guard's key of the one row. */
const ROW_KEY = 'ralph_state';

/** The Ralph loop's settings and progress: what a restart needs to resume it (table `ralph_state`). */
export interface RalphStateRecord {
  readonly running: boolean;
  readonly startedAt: number | null;
  readonly minDurationMinutes: number | null;
  readonly maxCostUsd: number | null;
  readonly maxWorkers: number;
  /** The loop's worker pool: the sessions it was given and the ones it started. */
  readonly sessionIds: readonly string[];
  readonly completedCount: number;
  readonly failedCount: number;
  readonly totalCost: number;
  readonly stopReason: string | null;
  /** The loop's limit policy (see agent/session/limit-pause.ts). */
  readonly autoResume: boolean;
  readonly maxWaitMinutes: number;
  /** Set while a usage limit holds the running loop (epoch ms): a restart waits on until then. */
  readonly pausedUntil: number | null;
}

interface RalphStateRow {
  running: number;
  started_at: number | null;
  min_duration_minutes: number | null;
  max_cost_usd: number | null;
  max_workers: number;
  session_ids: string;
  completed_count: number;
  failed_count: number;
  total_cost: number;
  stop_reason: string | null;
  auto_resume: number;
  max_wait_minutes: number;
  paused_until: number | null;
}

export interface RalphStateRepository {
  load(): RalphStateRecord | null;
  /** Throws StorageError when nothing was written. */
  save(record: RalphStateRecord): void;
  /** For changes no request waits for: what cannot be written now is written later. */
  saveEventually(record: RalphStateRecord): boolean;
}

/** One row (id = 1), replaced on every change: the loop writes its intent before acting on it. */
export class SqliteRalphStateRepository implements RalphStateRepository {
  private readonly upsertStatement;
  private readonly selectStatement;
  private readonly guard: StorageGuard;

  constructor(db: Database) {
    this.guard = storageGuardOf(db);
    this.upsertStatement = db.prepare(`
      INSERT INTO ralph_state (id, running, started_at, min_duration_minutes, max_cost_usd, max_workers,
        session_ids, completed_count, failed_count, total_cost, stop_reason, auto_resume,
        max_wait_minutes, paused_until)
      VALUES (1, @running, @started_at, @min_duration_minutes, @max_cost_usd, @max_workers,
        @session_ids, @completed_count, @failed_count, @total_cost, @stop_reason, @auto_resume,
        @max_wait_minutes, @paused_until)
      ON CONFLICT (id) DO UPDATE SET running = excluded.running, started_at = excluded.started_at,
        min_duration_minutes = excluded.min_duration_minutes, max_cost_usd = excluded.max_cost_usd,
        max_workers = excluded.max_workers, session_ids = excluded.session_ids,
        completed_count = excluded.completed_count, failed_count = excluded.failed_count,
        total_cost = excluded.total_cost, stop_reason = excluded.stop_reason,
        auto_resume = excluded.auto_resume, max_wait_minutes = excluded.max_wait_minutes,
        paused_until = excluded.paused_until`);
    this.selectStatement = db.prepare<[], RalphStateRow>('SELECT * FROM ralph_state WHERE id = 1');
  }

  load(): RalphStateRecord | null {
    const row = this.selectStatement.get();
    if (row === undefined) return null;
    return {
      running: row.running !== 0,
      startedAt: row.started_at,
      minDurationMinutes: row.min_duration_minutes,
      maxCostUsd: row.max_cost_usd,
      maxWorkers: row.max_workers,
      sessionIds: JSON.parse(row.session_ids) as string[],
      completedCount: row.completed_count,
      failedCount: row.failed_count,
      totalCost: row.total_cost,
      stopReason: row.stop_reason,
      autoResume: row.auto_resume !== 0,
      maxWaitMinutes: row.max_wait_minutes,
      pausedUntil: row.paused_until,
    };
  }

  save(record: RalphStateRecord): void {
    const row = toRow(record);
    this.guard.write(() => this.upsertStatement.run(row), ROW_KEY);
  }

  saveEventually(record: RalphStateRecord): boolean {
    const row = toRow(record);
    return this.guard.writeEventually(ROW_KEY, () => {
      this.upsertStatement.run(row);
    });
  }
}

function toRow(record: RalphStateRecord): RalphStateRow {
  return {
    running: record.running ? 1 : 0,
    started_at: record.startedAt,
    min_duration_minutes: record.minDurationMinutes,
    max_cost_usd: record.maxCostUsd,
    max_workers: record.maxWorkers,
    session_ids: JSON.stringify(record.sessionIds),
    completed_count: record.completedCount,
    failed_count: record.failedCount,
    total_cost: record.totalCost,
    stop_reason: record.stopReason,
    auto_resume: record.autoResume ? 1 : 0,
    max_wait_minutes: record.maxWaitMinutes,
    paused_until: record.pausedUntil,
  };
}
