import type { Database } from './database.js';
import { type StorageGuard, storageGuardOf } from './storage-guard.js';

/** Who started a process: an overseer task or a Claude session. */
export type ProcessOwnerKind = 'overseer' | 'session';

/** One process a server instance started and has not yet seen the end of. */
export interface LedgerEntry {
  readonly ownerKind: ProcessOwnerKind;
  readonly ownerId: string;
  /** The process, which is also the leader of its own process group. */
  readonly pid: number;
  /** Field 22 of /proc/<pid>/stat when it was recorded: with the pid, its identity. */
  readonly startTime: string;
  readonly bootId: string | null;
  readonly instanceId: string;
  /** Epoch milliseconds. */
  readonly recordedAt: number;
}

/**
 * A server instance as it registered itself: its own process's identity, so that a later instance can
 * tell whether it still runs (start time null where /proc is unavailable).
 */
export interface LedgerInstance {
  readonly pid: number;
  readonly startTime: string | null;
  readonly bootId: string | null;
}

/** A process to write down: who started it and its identity (see LedgerEntry). */
export interface LedgerProcess {
  readonly ownerKind: ProcessOwnerKind;
  readonly ownerId: string;
  readonly pid: number;
  readonly startTime: string;
  readonly bootId: string | null;
}

/** A ledger entry with the instance that wrote it, as registered (null when it never registered). */
export interface EntryOfInstance {
  readonly entry: LedgerEntry;
  readonly instance: LedgerInstance | null;
}

interface LedgerRow {
  owner_kind: ProcessOwnerKind;
  owner_id: string;
  pid: number;
  start_time: string;
  boot_id: string | null;
  instance_id: string;
  recorded_at: number;
}

/** A ledger row with what is known of the instance that wrote it (NULLs when nothing is). */
interface LedgerRowWithInstance extends LedgerRow {
  instance_pid: number | null;
  instance_start_time: string | null;
  instance_boot_id: string | null;
}

interface InstanceRow {
  instance_id: string;
  pid: number;
  start_time: string | null;
  boot_id: string | null;
}

/**
 * The process ledger: every child a server instance spawned, written the moment it spawned and
 * removed once its exit was handled. What a killed instance leaves behind is the list of its
 * possible orphans, which the next instance ends (see supervisor/recovery/orphan-reaper.ts).
 *
 * Writes are synchronous (better-sqlite3), so a recorded pid is on disk (in the WAL) before the
 * caller of the spawn continues; a kill -9 right after cannot lose it.
 *
 * Each instance also registers itself (its own pid and start time): the entries of an instance that
 * still runs — a second server started on the same database — are never handed out as orphans.
 * Whether a process still runs is not the store's to know: it is asked (supervisor/recovery/
 * ledger-liveness.ts reads /proc), the store only keeps the table.
 */
export class SqliteProcessLedger {
  private readonly db: Database;
  private readonly insertStatement;
  private readonly deleteStatement;
  private readonly selectOthers;
  private readonly guard: StorageGuard;

  constructor(
    db: Database,
    readonly instanceId: string,
  ) {
    this.db = db;
    this.guard = storageGuardOf(db);
    this.insertStatement = db.prepare<[LedgerRow]>(`
      INSERT OR REPLACE INTO process_ledger
        (owner_kind, owner_id, pid, start_time, boot_id, instance_id, recorded_at)
      VALUES (@owner_kind, @owner_id, @pid, @start_time, @boot_id, @instance_id, @recorded_at)`);
    this.deleteStatement = db.prepare<[ProcessOwnerKind, string, number, string]>(`
      DELETE FROM process_ledger
      WHERE owner_kind = ? AND owner_id = ? AND pid = ? AND instance_id = ?`);
    this.selectOthers = db.prepare<[string], LedgerRowWithInstance>(`
      SELECT ledger.*, instance.pid AS instance_pid, instance.start_time AS instance_start_time,
        instance.boot_id AS instance_boot_id
      FROM process_ledger AS ledger
      LEFT JOIN process_ledger_instances AS instance ON instance.instance_id = ledger.instance_id
      WHERE ledger.instance_id != ?
      ORDER BY ledger.recorded_at, ledger.pid`);
  }

  /**
   * Registers this instance as `self`, in one transaction with forgetting the instances that ended
   * and left nothing behind (those for which `stillRuns` is false).
   */
  registerInstance(self: LedgerInstance, stillRuns: (instance: LedgerInstance) => boolean): void {
    const { db } = this;
    db.transaction(() => {
      const idle = db
        .prepare<[], InstanceRow>(`
          SELECT * FROM process_ledger_instances
          WHERE instance_id NOT IN (SELECT instance_id FROM process_ledger)`)
        .all();
      const forget = db.prepare<[string]>('DELETE FROM process_ledger_instances WHERE instance_id = ?');
      for (const instance of idle) {
        const registered = { pid: instance.pid, startTime: instance.start_time, bootId: instance.boot_id };
        if (!stillRuns(registered)) forget.run(instance.instance_id);
      }
      db.prepare(`
        INSERT OR REPLACE INTO process_ledger_instances (instance_id, pid, start_time, boot_id, started_at)
        VALUES (?, ?, ?, ?, ?)`).run(this.instanceId, self.pid, self.startTime, self.bootId, Date.now());
    })();
  }

  /** Writes down a process of this instance. */
  insert(spawned: LedgerProcess): void {
    const row: LedgerRow = {
      owner_kind: spawned.ownerKind,
      owner_id: spawned.ownerId,
      pid: spawned.pid,
      start_time: spawned.startTime,
      boot_id: spawned.bootId,
      instance_id: this.instanceId,
      recorded_at: Date.now(),
    };
    // Through the guard: a write that goes nowhere (deleted file, full disk) is refused and counted.
    this.guard.write(() => this.insertStatement.run(row));
  }

  /** Forgets a process of this instance whose end has been handled. */
  release(kind: ProcessOwnerKind, ownerId: string, pid: number): void {
    this.guard.write(() => this.deleteStatement.run(kind, ownerId, pid, this.instanceId));
  }

  /** What other instances recorded and never released, each with the instance that wrote it. */
  ofOtherInstances(): EntryOfInstance[] {
    return this.selectOthers.all(this.instanceId).map((row) => ({
      entry: {
        ownerKind: row.owner_kind,
        ownerId: row.owner_id,
        pid: row.pid,
        startTime: row.start_time,
        bootId: row.boot_id,
        instanceId: row.instance_id,
        recordedAt: row.recorded_at,
      },
      instance:
        row.instance_pid === null
          ? null
          : { pid: row.instance_pid, startTime: row.instance_start_time, bootId: row.instance_boot_id },
    }));
  }

  /** Removes an entry (of any instance), e.g. once the reaper has dealt with it. */
  remove(entry: LedgerEntry): void {
    this.guard.write(() =>
      this.deleteStatement.run(entry.ownerKind, entry.ownerId, entry.pid, entry.instanceId),
    );
  }
}
