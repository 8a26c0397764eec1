import type { Database } from './database.js';
import { type StorageGuard, storageGuardOf } from './storage-guard.js';

/** The storage guard's key of a session's respawn controller row. */
export function respawnRowKey(sessionId: string): string {
  return `respawn_controllers:${sessionId}`;
}

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

/** What the respawn manager needs from storage; SQLite in the server, the same class in tests. */
export interface RespawnRepository {
  /** Throws StorageError when nothing was written. */
  upsert(record: StoredRespawnController): void;
  /** For changes no request waits for: what cannot be written now is written later. */
  upsertEventually(record: StoredRespawnController): boolean;
  deleteEventually(sessionId: string): boolean;
  loadAll(): StoredRespawnController[];
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

function toRow(record: StoredRespawnController): RespawnRow {
  return {
    session_id: record.sessionId,
    config: JSON.stringify(record.config),
    running: record.running ? 1 : 0,
    cycle_count: record.cycleCount,
    started_at: record.startedAt,
    stop_reason: record.stopReason,
  };
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
export class SqliteRespawnRepository implements RespawnRepository {
  private readonly upsertStatement;
  private readonly deleteStatement;
  private readonly selectOne;
  private readonly selectAll;
  private readonly guard: StorageGuard;

  constructor(db: Database) {
    this.guard = storageGuardOf(db);
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

  /** Writes the controller now; throws StorageError when it cannot (nothing was written). */
  upsert(record: StoredRespawnController): void {
    const row = toRow(record);
    this.guard.write(() => this.upsertStatement.run(row), respawnRowKey(record.sessionId));
  }

  /** A change no request waits for: written now, or on a later tick of the storage watch. */
  upsertEventually(record: StoredRespawnController): boolean {
    const row = toRow(record);
    return this.guard.writeEventually(respawnRowKey(record.sessionId), () => {
      this.upsertStatement.run(row);
    });
  }

  load(sessionId: string): StoredRespawnController | null {
    const row = this.selectOne.get(sessionId);
    return row === undefined ? null : fromRow(row);
  }

  loadAll(): StoredRespawnController[] {
    return this.selectAll.all().map(fromRow);
  }

  /** Removes a row no request asked about (a controller whose session is gone): now, or later. */
  deleteEventually(sessionId: string): boolean {
    return this.guard.writeEventually(respawnRowKey(sessionId), () => {
      this.deleteStatement.run(sessionId);
    });
  }
}
