import type BetterSqlite3 from 'better-sqlite3';

/**
 * Numbered schema migrations. Each runs once, in order, inside a transaction, and bumps
 * `PRAGMA user_version` to its number. Never edit a released migration: add the next one.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'overseer tasks',
    sql: `
      CREATE TABLE overseer_tasks (
        seq             INTEGER PRIMARY KEY AUTOINCREMENT, -- creation order, for a stable list
        task_id         TEXT NOT NULL UNIQUE,
        command         TEXT NOT NULL,
        args            TEXT NOT NULL,                     -- JSON array of strings
        retry_policy    TEXT,                              -- JSON, canonical durations; NULL = none
        state           TEXT NOT NULL CHECK (state IN ('active', 'stopped', 'errored')),
        restart_count   INTEGER NOT NULL DEFAULT 0,
        exit_count      INTEGER NOT NULL DEFAULT 0,
        created_at      REAL NOT NULL,                     -- epoch milliseconds
        last_started_at REAL,
        last_exited_at  REAL,
        error_message   TEXT,
        exit_timestamps TEXT NOT NULL DEFAULT '[]'         -- JSON array of epoch ms in the retry window
      );
    `,
  },
  {
    version: 2,
    name: 'claude sessions and their terminal history',
    sql: `
      CREATE TABLE sessions (
        seq               INTEGER PRIMARY KEY AUTOINCREMENT, -- creation order
        id                TEXT NOT NULL UNIQUE,
        working_dir       TEXT NOT NULL,
        created_at        REAL NOT NULL,                     -- epoch milliseconds
        mode              TEXT NOT NULL CHECK (mode IN ('none', 'oneshot', 'interactive')),
        status            TEXT NOT NULL CHECK (status IN ('idle', 'busy', 'stopped', 'error')),
        pid               INTEGER,
        claude_session_id TEXT,
        total_cost        REAL NOT NULL DEFAULT 0,
        message_count     INTEGER NOT NULL DEFAULT 0,
        last_activity_at  REAL NOT NULL,
        last_prompt_time  REAL,
        permission_mode   TEXT NOT NULL,
        last_error        TEXT,
        exit_code         INTEGER,
        current_task_id   TEXT
      );
      -- The bounded replay buffers, written lazily; one row per session, gone with it.
      CREATE TABLE session_buffers (
        session_id TEXT PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
        terminal   TEXT NOT NULL,
        text       TEXT NOT NULL,
        updated_at REAL NOT NULL
      );
    `,
  },
];

export function schemaVersion(db: BetterSqlite3.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

export function applyMigrations(
  db: BetterSqlite3.Database,
  migrations: readonly Migration[] = MIGRATIONS,
): void {
  const current = schemaVersion(db);
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new Error(`database schema version ${current} is newer than this program supports (${latest})`);
  }
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    })();
  }
}
