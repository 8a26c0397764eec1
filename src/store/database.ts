import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { applyMigrations } from './migrations.js';
import { attachStorageGuard, StorageGuard } from './storage-guard.js';

export type Database = BetterSqlite3.Database;

/** How long a write waits for a lock held by another connection before failing (ms): 5 s, as the original. */
const BUSY_TIMEOUT_MS = 5_000;

/**
 * Mode of the database file and SQLite's companions (`-wal`, `-shm`): owner only. They hold every
 * prompt, the sessions' hook secrets and terminal history. SQLite creates the companions with the
 * database file's mode, so a file created 0600 keeps them 0600; files from before are tightened.
 */
const DATABASE_FILE_MODE = 0o600;
/** SQLite's files next to the database in WAL mode. */
const COMPANION_SUFFIXES = ['-wal', '-shm'] as const;

/**
 * Largest size the WAL file is left at after a checkpoint (bytes): a big transaction (a batch of
 * 100 KB prompts, an incremental vacuum) grows it, and without a limit it would keep that size for
 * good. 8 MiB is twice what the default auto-checkpoint (1,000 pages of 4 KiB) lets it reach.
 */
const WAL_SIZE_LIMIT_BYTES = 8 * 1024 * 1024;

/** `PRAGMA auto_vacuum` value of INCREMENTAL: freed pages are kept until `incremental_vacuum` returns them. */
const AUTO_VACUUM_INCREMENTAL = 2;

/** The result of `PRAGMA quick_check` when the database was opened. */
export interface DatabaseHealth {
  readonly ok: boolean;
  /** What quick_check reported (empty when ok). */
  readonly problems: readonly string[];
}

export interface DatabaseLog {
  error(message: string, detail?: Record<string, unknown>): void;
  warn?(message: string, detail?: Record<string, unknown>): void;
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

/** Creates the file owner-only if it is missing, and tightens it if it exists with a looser mode. */
function restrictMode(path: string, create: boolean): void {
  try {
    if (create) closeSync(openSync(path, 'a', DATABASE_FILE_MODE));
    chmodSync(path, DATABASE_FILE_MODE);
  } catch (error) {
    // A companion file SQLite has not created (yet) is fine: it will get the database file's mode.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/**
 * Turns on incremental auto-vacuum, so that deleted rows' pages can be given back to the file system
 * (see reclaimFreePages). A new database takes it at once; an existing one only through a VACUUM,
 * which rewrites the file and needs about its size in free space: if that fails (a full disk), the
 * database works on as before and the next open tries again.
 */
function enableIncrementalVacuum(db: Database, path: string, log: DatabaseLog | undefined): void {
  if (db.pragma('auto_vacuum', { simple: true }) === AUTO_VACUUM_INCREMENTAL) return;
  db.pragma('auto_vacuum = INCREMENTAL');
  if ((db.pragma('page_count', { simple: true }) as number) === 0) return;
  try {
    db.exec('VACUUM');
  } catch (error) {
    const detail = { path, error: (error as Error).message };
    if (log === undefined)
      process.stderr.write(`database not converted to incremental vacuum: ${JSON.stringify(detail)}\n`);
    else log.error('database not converted to incremental vacuum (it works on without)', detail);
  }
}

/**
 * Opens (creating if needed) the SQLite file and brings its schema up to date.
 *
 * WAL lets readers run beside the writer. synchronous=NORMAL in WAL mode keeps every committed
 * transaction across a crash or kill -9 of the server (only an OS crash or power loss can lose the
 * last commits), and saves the fsync per state change that restart churn would otherwise pay.
 * `PRAGMA quick_check` runs once on open; a failure is logged (and kept, see databaseHealth).
 * The files are made owner-only (DATABASE_FILE_MODE); the directory is left as it is (for
 * sticky-overseer's `-db` it may be the user's working directory). The database gets its storage
 * guard (storageGuardOf), which the repositories write through.
 */
export function openDatabase(path: string, log?: DatabaseLog): Database {
  const onDisk = path !== ':memory:' && path !== '';
  if (onDisk) {
    mkdirSync(dirname(path), { recursive: true });
    restrictMode(path, true);
    for (const suffix of COMPANION_SUFFIXES) restrictMode(`${path}${suffix}`, false);
  }
  const db = new BetterSqlite3(path);
  // Before WAL mode is set: that writes the header of a new file, which must already say incremental.
  enableIncrementalVacuum(db, path, log);
  db.pragma('journal_mode = WAL');
  db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
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
  // From here on every write of the store is checked (see storage-guard.ts).
  attachStorageGuard(db, new StorageGuard(onDisk ? path : null, log));
  return db;
}
