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
  {
    version: 3,
    name: 'autonomy: task queue, Ralph loop, scheduled runs, respawn controllers, hook secrets',
    sql: `
      CREATE TABLE queue_tasks (
        seq                 INTEGER PRIMARY KEY AUTOINCREMENT, -- creation order breaks priority ties
        id                  TEXT NOT NULL UNIQUE,
        prompt              TEXT NOT NULL,
        working_dir         TEXT,
        priority            INTEGER NOT NULL DEFAULT 0,
        depends_on          TEXT NOT NULL DEFAULT '[]',        -- JSON array of task ids
        completion_phrase   TEXT NOT NULL,
        timeout_ms          INTEGER,
        status              TEXT NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed')),
        attempts            INTEGER NOT NULL DEFAULT 0,
        assigned_session_id TEXT,
        created_at          REAL NOT NULL,
        started_at          REAL,
        finished_at         REAL,
        error               TEXT
      );
      -- One row: the loop's settings and progress, so a restart resumes where it was.
      CREATE TABLE ralph_state (
        id                   INTEGER PRIMARY KEY CHECK (id = 1),
        running              INTEGER NOT NULL,
        started_at           REAL,
        min_duration_minutes REAL,
        max_cost_usd         REAL,
        max_workers          INTEGER NOT NULL,
        session_ids          TEXT NOT NULL DEFAULT '[]',
        completed_count      INTEGER NOT NULL DEFAULT 0,
        failed_count         INTEGER NOT NULL DEFAULT 0,
        total_cost           REAL NOT NULL DEFAULT 0,
        stop_reason          TEXT
      );
      CREATE TABLE scheduled_runs (
        seq              INTEGER PRIMARY KEY AUTOINCREMENT,
        id               TEXT NOT NULL UNIQUE,
        prompt           TEXT NOT NULL,
        working_dir      TEXT NOT NULL,
        duration_minutes REAL NOT NULL,
        started_at       REAL NOT NULL,
        end_at           REAL NOT NULL,
        status           TEXT NOT NULL CHECK (status IN ('running', 'completed', 'stopped', 'error')),
        session_id       TEXT,
        completed_tasks  INTEGER NOT NULL DEFAULT 0,
        total_cost       REAL NOT NULL DEFAULT 0,
        max_cost_usd     REAL,
        logs             TEXT NOT NULL DEFAULT '[]',            -- JSON array of {ts, message}, bounded
        stop_reason      TEXT
      );
      CREATE TABLE respawn_controllers (
        session_id  TEXT PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
        config      TEXT NOT NULL,                               -- JSON RespawnConfig
        running     INTEGER NOT NULL,
        cycle_count INTEGER NOT NULL DEFAULT 0,
        started_at  REAL,
        stop_reason TEXT
      );
      ALTER TABLE sessions ADD COLUMN hook_secret TEXT;
    `,
  },
  {
    version: 4,
    name: 'process ledger: the processes a server instance started, to end its orphans after a crash',
    sql: `
      CREATE TABLE process_ledger (
        owner_kind  TEXT NOT NULL CHECK (owner_kind IN ('overseer', 'session')),
        owner_id    TEXT NOT NULL,                 -- task_id or session id
        pid         INTEGER NOT NULL,              -- also the process group id (each child leads one)
        start_time  TEXT NOT NULL,                 -- field 22 of /proc/<pid>/stat: with pid, the identity
        boot_id     TEXT,                          -- start times compare only within one boot
        instance_id TEXT NOT NULL,                 -- the server instance that started it
        recorded_at REAL NOT NULL,                 -- epoch milliseconds
        PRIMARY KEY (owner_kind, owner_id, pid)
      );
      -- The server instances that wrote the ledger, so that a live one's processes are never taken
      -- for orphans (a second server started on the same database).
      CREATE TABLE process_ledger_instances (
        instance_id TEXT PRIMARY KEY,
        pid         INTEGER NOT NULL,
        start_time  TEXT,                          -- NULL where /proc is unavailable
        boot_id     TEXT,
        started_at  REAL NOT NULL
      );
    `,
  },
  {
    version: 5,
    name: 'where an interactive session runs: its own tmux session (survives the server) or a plain PTY',
    sql: `
      ALTER TABLE sessions ADD COLUMN terminal_host TEXT CHECK (terminal_host IN ('tmux', 'pty'));
    `,
  },
  {
    version: 6,
    name: "what sessions' agents said and spent: the transcript, cost and tokens, the typed state",
    sql: `
      ALTER TABLE sessions ADD COLUMN observed TEXT;
      CREATE TABLE transcript_entries (
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        entry TEXT NOT NULL,
        PRIMARY KEY (session_id, seq)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 7,
    name: 'usage-limit policy and pause of the Ralph loop and scheduled runs, so a restart keeps both',
    sql: `
      ALTER TABLE ralph_state ADD COLUMN auto_resume INTEGER NOT NULL DEFAULT 1;
      ALTER TABLE ralph_state ADD COLUMN max_wait_minutes REAL NOT NULL DEFAULT 360;
      ALTER TABLE ralph_state ADD COLUMN paused_until REAL;
      ALTER TABLE scheduled_runs ADD COLUMN auto_resume INTEGER NOT NULL DEFAULT 1;
      ALTER TABLE scheduled_runs ADD COLUMN max_wait_minutes REAL NOT NULL DEFAULT 360;
      ALTER TABLE scheduled_runs ADD COLUMN paused_until REAL;
    `,
  },
  {
    version: 8,
    name: 'what the agents spent, per day and per case, beyond the life of their sessions',
    sql: `
      CREATE TABLE cost_ledger (
        day       TEXT NOT NULL,               -- YYYY-MM-DD, the server's local date
        case_name TEXT NOT NULL,               -- '' for work outside the cases root
        usd       REAL NOT NULL,
        PRIMARY KEY (day, case_name)
      ) WITHOUT ROWID;
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
