import type { Database } from './database.js';

/** One session's respawn controller as stored: its config, and whether it ran when last written. */
export interface StoredRespawnController {
  readonly sessionId: string;
  /** The parsed config JSON, unchecked: a row may come from an older version (the manager validates). */
  readonly config: unknown;
  /** It was running when last written; still true after a crash or shutdown, which is how a restart knows. */
  readonly running: boolean;
  readonly cycleCount: number;
  readonly startedAt: number | null;
  readonly stopReason: string | null;
}

interface RespawnRow {
  session_id: string;
  config: string;
  running: number;
  cycle_count: number;
  started_at: number | null;
  stop_reason: string | null;
}

function parseConfig(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // A corrupt cell reads as "no config"; the manager falls back to the defaults and says so.
    return null;
  }
}

function fromRow(row: RespawnRow): StoredRespawnController {
  return {
    sessionId: row.session_id,
    config: parseConfig(row.config),
    running: row.running !== 0,
    cycleCount: row.cycle_count,
    startedAt: row.started_at,
    stopReason: row.stop_reason,
  };
}

/** Respawn controllers in SQLite (`respawn_controllers`, one row per session; deleted with the session). */
export class SqliteRespawnRepository {
  private readonly upsertStatement;
  private readonly deleteStatement;
  private readonly selectOne;
  private readonly selectAll;

  constructor(db: Database) {
    this.upsertStatement = db.prepare(`
      INSERT INTO respawn_controllers (session_id, config, running, cycle_count, started_at, stop_reason)
      VALUES (@session_id, @config, @running, @cycle_count, @started_at, @stop_reason)
      ON CONFLICT (session_id) DO UPDATE SET config = excluded.config, running = excluded.running,
        cycle_count = excluded.cycle_count, started_at = excluded.started_at, stop_reason = excluded.stop_reason`);
    this.deleteStatement = db.prepare('DELETE FROM respawn_controllers WHERE session_id = ?');
    this.selectOne = db.prepare<[string], RespawnRow>(
      'SELECT * FROM respawn_controllers WHERE session_id = ?',
    );
    this.selectAll = db.prepare<[], RespawnRow>('SELECT * FROM respawn_controllers ORDER BY session_id');
  }

  upsert(record: StoredRespawnController): void {
    this.upsertStatement.run({
      session_id: record.sessionId,
      config: JSON.stringify(record.config),
      running: record.running ? 1 : 0,
      cycle_count: record.cycleCount,
      started_at: record.startedAt,
      stop_reason: record.stopReason,
    });
  }

  load(sessionId: string): StoredRespawnController | null {
    const row = this.selectOne.get(sessionId);
    return row === undefined ? null : fromRow(row);
  }

  loadAll(): StoredRespawnController[] {
    return this.selectAll.all().map(fromRow);
  }

  delete(sessionId: string): void {
    this.deleteStatement.run(sessionId);
  }
}
