import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { applyMigrations } from './migrations.js';

export type Database = BetterSqlite3.Database;

/** How long a write waits for a lock held by another connection before failing (ms): 5 s, as the original. */
export const BUSY_TIMEOUT_MS = 5_000;

/** The result of `PRAGMA quick_check` when the database was opened. */
export interface DatabaseHealth {
  readonly ok: boolean;
  /** What quick_check reported (empty when ok). */
  readonly problems: readonly string[];
}

export interface DatabaseLog {
  error(message: string, detail?: Record<string, unknown>): void;
}

const healthOf = new WeakMap<Database, DatabaseHealth>();

/**
 * Runs `PRAGMA quick_check` (the integrity check without the index-content cross-check: linear in the
 * file's size). A check that cannot even run (the file is damaged) is a problem too, never a throw.
 */
export function checkDatabase(db: Database): DatabaseHealth {
  let rows: unknown[];
  try {
    rows = db.pragma('quick_check') as unknown[];
  } catch (error) {
    return { ok: false, problems: [(error as Error).message] };
  }
  const problems = rows
    .map((row) => String(Object.values(row as Record<string, unknown>)[0]))
    .filter((line) => line !== 'ok');
  return { ok: problems.length === 0, problems };
}

/** The check made when `openDatabase` opened this database (null for one opened otherwise). */
export function databaseHealth(db: Database): DatabaseHealth | null {
  return healthOf.get(db) ?? null;
}

/**
 * Opens (creating if needed) the SQLite file and brings its schema up to date.
 *
 * WAL lets readers run beside the writer. synchronous=NORMAL in WAL mode keeps every committed
 * transaction across a crash or kill -9 of the server (only an OS crash or power loss can lose the
 * last commits), and saves the fsync per state change that restart churn would otherwise pay.
 * `PRAGMA quick_check` runs once on open; a failure is logged (and kept, see databaseHealth).
 */
export function openDatabase(path: string, log?: DatabaseLog): Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new BetterSqlite3(path);
  db.pragma('journal_mode = WAL');
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  // A damaged file is reported, not fatal: what still reads is better served than nothing, and the
  // result is kept for /metrics (see databaseHealth).
  const health = checkDatabase(db);
  healthOf.set(db, health);
  if (!health.ok) {
    const detail = { path, problems: health.problems.slice(0, 10) };
    if (log === undefined)
      process.stderr.write(`database integrity check failed: ${JSON.stringify(detail)}\n`);
    else log.error('database integrity check failed', detail);
  }
  applyMigrations(db);
  return db;
}
