import { chmodSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';

/**
 * One server per data directory (or per sticky-overseer database), enforced by an OS lock.
 *
 * Node has no flock(), so the lock is SQLite's own: a small SQLite file opened with
 * `locking_mode=EXCLUSIVE` whose first exclusive transaction leaves the connection holding an
 * exclusive POSIX (fcntl) lock on it until the connection closes. The kernel drops POSIX locks when
 * the process ends, however it ends, so a `kill -9` never leaves a stale lock: the next server starts
 * at once. SQLite tracks its locks per file within a process too, so a second server started in the
 * same process (as tests do) is refused as well. (POSIX locks are dropped when the process closes any
 * descriptor of the file: nothing but this connection ever opens the lock file.)
 *
 * Who holds the lock cannot be read from the locked file, so the holder writes its pid (and, once it
 * listens, its address) to a holder file beside it, for the message a second server prints.
 */

/** What a holder says of itself in its holder file. */
export interface LockHolder {
  readonly pid: number;
  /** Where it listens (no token), once it does; null while it is starting. */
  readonly url: string | null;
}

/** The lock is held by another server: `message` names it, e.g. for the CLI to print. */
export class InstanceLockedError extends Error {
  constructor(
    readonly lockPath: string,
    readonly holder: LockHolder | null,
    subject: string,
  ) {
    super(`another server (${describeHolder(holder)}) uses ${subject}`);
    this.name = 'InstanceLockedError';
  }
}

function describeHolder(holder: LockHolder | null): string {
  if (holder === null) return 'pid unknown';
  return holder.url === null ? `pid ${holder.pid}, still starting` : `pid ${holder.pid}, ${holder.url}`;
}

/** Owner only, like the database: the holder file names a process and a local address. */
const LOCK_FILE_MODE = 0o600;

export function holderFileOf(lockPath: string): string {
  return `${lockPath}.json`;
}

function readHolder(lockPath: string): LockHolder | null {
  try {
    const parsed = JSON.parse(readFileSync(holderFileOf(lockPath), 'utf8')) as Partial<LockHolder>;
    if (typeof parsed.pid !== 'number') return null;
    return { pid: parsed.pid, url: typeof parsed.url === 'string' ? parsed.url : null };
  } catch {
    // Missing or half-written (the holder is between taking the lock and writing it): unknown.
    return null;
  }
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_'));
}

export class InstanceLock {
  private released = false;

  private constructor(
    readonly lockPath: string,
    private readonly connection: BetterSqlite3.Database,
  ) {}

  /**
   * Takes the lock or throws InstanceLockedError naming the holder; `subject` says what is locked
   * ("this data directory"). Never waits: a held lock is refused at once.
   */
  static acquire(lockPath: string, subject: string): InstanceLock {
    // timeout 0: a busy lock fails immediately instead of waiting for a holder that will not let go.
    const connection = new BetterSqlite3(lockPath, { timeout: 0 });
    try {
      connection.pragma('locking_mode = EXCLUSIVE');
      // No journal file beside the lock: it holds no data worth a rollback.
      connection.pragma('journal_mode = MEMORY');
      // The exclusive transaction takes the EXCLUSIVE lock; in EXCLUSIVE locking mode the
      // connection keeps it after the commit, until it closes.
      connection.exec('BEGIN EXCLUSIVE');
      connection.exec('COMMIT');
    } catch (error) {
      connection.close();
      if (isBusy(error)) throw new InstanceLockedError(lockPath, readHolder(lockPath), subject);
      throw error;
    }
    // chmod needs no descriptor (closing one of this file would drop the lock, see above).
    chmodSync(lockPath, LOCK_FILE_MODE);
    const lock = new InstanceLock(lockPath, connection);
    lock.writeHolder(null);
    return lock;
  }

  /** Adds where this server listens to the holder file (for the message of a second server). */
  announce(url: string): void {
    if (!this.released) this.writeHolder(url);
  }

  /** Lets go of the lock (idempotent). The holder file goes first, so it never outlives the lock. */
  release(): void {
    if (this.released) return;
    this.released = true;
    if (readHolder(this.lockPath)?.pid === process.pid) rmSync(holderFileOf(this.lockPath), { force: true });
    this.connection.close();
  }

  /** Written whole (a temporary file renamed over it), so a reader never sees half of it. */
  private writeHolder(url: string | null): void {
    const path = holderFileOf(this.lockPath);
    const temporary = `${path}.${process.pid}.tmp`;
    const holder: LockHolder = { pid: process.pid, url };
    writeFileSync(temporary, `${JSON.stringify(holder)}\n`, { mode: LOCK_FILE_MODE });
    renameSync(temporary, path);
  }
}
