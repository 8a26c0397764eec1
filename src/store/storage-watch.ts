import type { Database } from './database.js';
import { StorageError } from './storage-errors.js';
import { type StorageLog, storageGuardOf } from './storage-guard.js';

/**
 * How often the database's files are checked and pending writes retried (ms): a deleted database is
 * reported within a second, also while nothing writes (writes check it themselves, see StorageGuard).
 */
const STORAGE_CHECK_INTERVAL_MS = 1_000;
/**
 * Free pages that make an incremental vacuum worth it: 256 pages (1 MiB at SQLite's default 4 KiB
 * pages) — a few deleted 100 KB prompts. Below that the space is left for the next inserts.
 */
const RECLAIM_MIN_FREE_PAGES = 256;

/**
 * Gives the pages of deleted rows back to the file system (the database uses incremental
 * auto-vacuum, see openDatabase), then checkpoints so that the file itself shrinks. Returns how many
 * pages were freed. A failing write (a full disk) is the guard's to report; the pages wait.
 */
export function reclaimFreePages(db: Database, minPages = RECLAIM_MIN_FREE_PAGES): number {
  const free = db.pragma('freelist_count', { simple: true }) as number;
  if (free < minPages) return 0;
  try {
    storageGuardOf(db).write(() => db.pragma('incremental_vacuum'));
    // PASSIVE never waits for readers: at worst the file shrinks at the next checkpoint.
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    if (error instanceof StorageError) return 0;
    throw error;
  }
  return free;
}

export interface StorageWatch {
  close(): void;
}

/**
 * The store's upkeep on one timer (unref'd; close() clears it): checks that the database's files are
 * still the ones opened, writes the changes that failed to be written, gives space back.
 */
export function watchStorage(
  db: Database,
  log?: StorageLog,
  intervalMs = STORAGE_CHECK_INTERVAL_MS,
): StorageWatch {
  const guard = storageGuardOf(db);
  const timer = setInterval(() => {
    try {
      if (guard.verify() !== null) return;
      guard.retryPending();
      reclaimFreePages(db);
    } catch (error) {
      // Upkeep must never take the server down (a throw in a timer would): said, and tried next tick.
      log?.error('database upkeep failed', { error: (error as Error).message });
    }
  }, intervalMs);
  timer.unref();
  return { close: () => clearInterval(timer) };
}
