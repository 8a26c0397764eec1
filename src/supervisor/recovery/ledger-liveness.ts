import type { Database } from '../../store/database.js';
import {
  type LedgerEntry,
  type LedgerInstance,
  type ProcessOwnerKind,
  SqliteProcessLedger,
} from '../../store/process-ledger.js';
import { currentBootId, isSameProcess, processStartTime } from './process-identity.js';

/** Whether a registered server instance still runs (then its processes are its own, not orphans). */
export function instanceStillRuns(instance: LedgerInstance | null): boolean {
  if (instance === null || instance.startTime === null) return false;
  return instance.bootId === currentBootId() && isSameProcess(instance.pid, instance.startTime);
}

/**
 * The store's process ledger read against the live process table: each process is written down with
 * its start time (its identity, see process-identity.ts), and only the entries of instances that no
 * longer run are handed out as possible orphans.
 */
export class LiveProcessLedger {
  private constructor(private readonly table: SqliteProcessLedger) {}

  /** This instance's ledger, registered (with its own identity) in the store. */
  static open(db: Database, instanceId: string): LiveProcessLedger {
    const table = new SqliteProcessLedger(db, instanceId);
    table.registerInstance(
      { pid: process.pid, startTime: processStartTime(process.pid), bootId: currentBootId() },
      instanceStillRuns,
    );
    return new LiveProcessLedger(table);
  }

  get instanceId(): string {
    return this.table.instanceId;
  }

  /**
   * Records a process just spawned, reading its start time now. A process already gone (or a
   * platform without /proc) leaves nothing to record: there would be nothing to identify it by.
   */
  record(kind: ProcessOwnerKind, ownerId: string, pid: number): void {
    const startTime = processStartTime(pid);
    if (startTime === null) return;
    this.table.insert({ ownerKind: kind, ownerId, pid, startTime, bootId: currentBootId() });
  }

  /** Forgets a process of this instance whose end has been handled. */
  release(kind: ProcessOwnerKind, ownerId: string, pid: number): void {
    this.table.release(kind, ownerId, pid);
  }

  /**
   * What other instances recorded and never released, leaving out instances that still run: the
   * possible orphans of servers that ended without handling their children's exits.
   */
  fromOtherInstances(): LedgerEntry[] {
    return this.table
      .ofOtherInstances()
      .filter(({ instance }) => !instanceStillRuns(instance))
      .map(({ entry }) => entry);
  }

  /** Removes an entry (of any instance), e.g. once the reaper has dealt with it. */
  remove(entry: LedgerEntry): void {
    this.table.remove(entry);
  }
}
