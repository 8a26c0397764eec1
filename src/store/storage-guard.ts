import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { StorageError, type StorageErrorCode } from './storage-errors.js';

/**
 * Every write of the store goes through its database's guard, which makes sure a write that is
 * acknowledged was really stored:
 *
 * - **Deleted or replaced file.** SQLite keeps writing to the file it opened, also after that file was
 *   deleted or replaced on disk (in WAL mode nothing notices): every write would "succeed" and be gone
 *   at the next start. The guard compares the device and inode of the path (and of the WAL file) with
 *   those it saw at open, before every write and on a timer (see storage-watch.ts); once they differ,
 *   every write is refused until the server is restarted.
 * - **Failed writes** (a full disk, an I/O error) become a StorageError with a stable code, which the
 *   callers turn into an error answer after undoing their change in memory.
 * - **Changes no request acknowledges** (a process exited, a counter moved) are written with
 *   writeEventually: a failed one is kept, by row, and written again on the watch's next tick.
 */

interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
}

function identityOf(path: string): FileIdentity | null {
  const stats = statSync(path, { throwIfNoEntry: false });
  return stats === undefined ? null : { dev: stats.dev, ino: stats.ino };
}

/** What /healthz and /metrics show of the store. */
export interface StorageStatus {
  /** The database file, or null for an in-memory database. */
  readonly path: string | null;
  /** Why every write is refused until restart (the file was deleted or replaced), or null. */
  readonly lost: string | null;
  /** The failure of the last write, while no write has succeeded since; null when writes work. */
  readonly failing: {
    readonly code: StorageErrorCode;
    readonly message: string;
    readonly since: number;
  } | null;
  /** Writes that failed since the start. */
  readonly failedWrites: number;
  /** Changes no request acknowledged that could not be written yet (retried on every tick). */
  readonly pendingWrites: number;
}

export interface StorageLog {
  error(message: string, detail?: Record<string, unknown>): void;
  warn?(message: string, detail?: Record<string, unknown>): void;
}

/** SQLite result codes (primary, extended ones start with them) that mean the file cannot take the write. */
const UNAVAILABLE_CODES = [
  'SQLITE_IOERR',
  'SQLITE_CANTOPEN',
  'SQLITE_READONLY',
  'SQLITE_CORRUPT',
  'SQLITE_NOTADB',
  'SQLITE_BUSY',
];

function sqliteCode(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : null;
}

export class StorageGuard {
  private readonly database: FileIdentity | null;
  private wal: FileIdentity | null;
  private lostReason: string | null = null;
  private failure: StorageStatus['failing'] = null;
  private failures = 0;
  /** Unacknowledged changes waiting to be written, by row key; the latest one of each row only. */
  private readonly pending = new Map<string, () => void>();

  constructor(
    readonly path: string | null,
    private readonly log?: StorageLog,
    private readonly now: () => number = Date.now,
  ) {
    this.database = path === null ? null : identityOf(path);
    this.wal = path === null ? null : identityOf(`${path}-wal`);
  }

  /**
   * Checks that the files are still the ones opened; returns why not (and refuses writes from now
   * on), or null. Cheap: two stat calls.
   */
  verify(): string | null {
    if (this.lostReason !== null || this.path === null || this.database === null) return this.lostReason;
    const reason =
      this.changed(this.path, this.database, 'the database file') ??
      (this.wal === null ? null : this.changed(`${this.path}-wal`, this.wal, 'the write-ahead log'));
    // SQLite creates the WAL at the first access after open; from then on it stays until we close.
    if (reason === null && this.wal === null) this.wal = identityOf(`${this.path}-wal`);
    if (reason !== null) {
      this.lostReason = reason;
      this.log?.error('database storage lost: writes are refused until the server is restarted', {
        path: this.path,
        reason,
      });
    }
    return reason;
  }

  private changed(path: string, opened: FileIdentity, what: string): string | null {
    const now = identityOf(path);
    if (now === null) return `${what} ${path} was deleted while the server ran`;
    if (now.dev !== opened.dev || now.ino !== opened.ino)
      return `${what} ${path} was replaced while the server ran`;
    return null;
  }

  /**
   * Runs one write (a statement or a transaction). Throws StorageError when the storage is lost or
   * the write fails for want of space or by an I/O error; other errors (bugs) as they are. A success
   * settles the pending changes of the rows it wrote (`keys`): what was just written is newer.
   */
  write<T>(action: () => T, keys?: string | readonly string[]): T {
    const lost = this.verify();
    if (lost !== null) throw this.unavailable(lost);
    let result: T;
    try {
      result = action();
    } catch (error) {
      throw this.classify(error);
    }
    if (typeof keys === 'string') this.pending.delete(keys);
    else if (keys !== undefined) for (const key of keys) this.pending.delete(key);
    if (this.failure !== null) {
      this.failure = null;
      this.log?.warn?.('database writes succeed again', { path: this.path });
    }
    return result;
  }

  /**
   * A change no request waits for: written now if possible, else kept (the latest per `key`) and
   * written on a later tick. Returns whether it was written now. Errors other than StorageError throw.
   */
  writeEventually(key: string, action: () => void): boolean {
    try {
      this.write(action, key);
      return true;
    } catch (error) {
      if (!(error instanceof StorageError)) throw error;
      this.defer(key, action);
      return false;
    }
  }

  /** Keeps a change that could not be written for a later tick: the latest one per row `key`. */
  defer(key: string, action: () => void): void {
    // Re-inserted, so the retry order follows the order of the latest changes.
    this.pending.delete(key);
    this.pending.set(key, action);
  }

  /** The row is gone (deleted on request): its pending change must never be written. */
  forget(key: string): void {
    this.pending.delete(key);
  }

  /** Writes the pending changes, oldest first, until one fails (the disk is still full, say). */
  retryPending(): void {
    for (const [key, action] of [...this.pending]) {
      try {
        this.write(action, key);
      } catch (error) {
        if (error instanceof StorageError) return;
        // A pending change that throws otherwise never will succeed: dropped, and said so.
        this.pending.delete(key);
        this.log?.error('pending database write dropped', { key, error: (error as Error).message });
      }
    }
  }

  status(): StorageStatus {
    return {
      path: this.path,
      lost: this.lostReason,
      failing: this.failure,
      failedWrites: this.failures,
      pendingWrites: this.pending.size,
    };
  }

  private unavailable(reason: string): StorageError {
    return new StorageError(
      'STORAGE_UNAVAILABLE',
      `${reason}: nothing was saved, and changes are refused until the server is restarted`,
    );
  }

  /** A failed write as a StorageError (also counted and logged), or the error itself when it is no storage fault. */
  private classify(error: unknown): unknown {
    const code = sqliteCode(error);
    if (code === null) return error;
    let storageError: StorageError;
    if (code === 'SQLITE_FULL') {
      const where = this.path === null ? 'the database' : `the disk holding ${dirname(this.path)}`;
      storageError = new StorageError(
        'STORAGE_FULL',
        `${where} is full: nothing was saved; free some space and try again`,
      );
    } else if (UNAVAILABLE_CODES.some((prefix) => code.startsWith(prefix))) {
      // An I/O error may be the first sign of a file pulled away: check now rather than at the tick.
      const lost = this.verify();
      storageError =
        lost !== null
          ? this.unavailable(lost)
          : new StorageError(
              'STORAGE_UNAVAILABLE',
              `the database could not be written (${code}: ${(error as Error).message}): nothing was saved`,
            );
    } else {
      return error;
    }
    this.failures++;
    if (this.failure === null) {
      this.log?.warn?.('database write failed', { path: this.path, code, error: storageError.message });
    }
    this.failure = { code: storageError.code, message: storageError.message, since: this.now() };
    return storageError;
  }
}

const guards = new WeakMap<BetterSqlite3.Database, StorageGuard>();

/** Attaches the guard openDatabase made for `db`. */
export function attachStorageGuard(db: BetterSqlite3.Database, guard: StorageGuard): void {
  guards.set(db, guard);
}

/**
 * The guard of `db`: the one openDatabase attached, or (a database opened otherwise, e.g. by a test)
 * one without a file to watch, which still turns failed writes into StorageErrors.
 */
export function storageGuardOf(db: BetterSqlite3.Database): StorageGuard {
  let guard = guards.get(db);
  if (guard === undefined) {
    guard = new StorageGuard(null);
    guards.set(db, guard);
  }
  return guard;
}
