import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { applyMigrations } from './migrations.js';

export type Database = BetterSqlite3.Database;

/** How long a write waits for a lock held by another connection before failing (ms): 5 s, as the original. */
export const BUSY_TIMEOUT_MS = 5_000;

/**
 * Opens (creating if needed) the SQLite file and brings its schema up to date.
 *
 * WAL lets readers run beside the writer. synchronous=NORMAL in WAL mode keeps every committed
 * transaction across a crash or kill -9 of the server (only an OS crash or power loss can lose the
 * last commits), and saves the fsync per state change that restart churn would otherwise pay.
 */
export function openDatabase(path: string): Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new BetterSqlite3(path);
  db.pragma('journal_mode = WAL');
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  applyMigrations(db);
  return db;
}
