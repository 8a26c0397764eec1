import { randomUUID } from 'node:crypto';
import type { Database } from '../../store/database.js';
import type { LedgerEntry, ProcessOwnerKind } from '../../store/process-ledger.js';
import type { Clock } from '../clock.js';
import { LiveProcessLedger } from './ledger-liveness.js';
import { type ReapLog, type ReapOutcomeKind, type ReapReport, reapOrphans } from './orphan-reaper.js';

export interface OrphanSweep {
  /** This instance's ledger, to hand to the supervisor (and the sessions) for their spawns. */
  readonly ledger: LiveProcessLedger;
  /** What happened to each process an earlier instance left behind. */
  readonly report: ReapReport<LedgerEntry>;
}

/**
 * At start-up, before anything is restored: opens this instance's process ledger and ends the process
 * groups that an earlier instance (killed, so it never handled their exits) left running.
 */
export async function sweepOrphans(
  db: Database,
  options: { readonly graceMs: number; readonly log: ReapLog; readonly clock?: Clock },
): Promise<OrphanSweep> {
  const ledger = LiveProcessLedger.open(db, randomUUID());
  const report = await reapOrphans(ledger, options);
  return { ledger, report };
}

/**
 * Notes for the owners whose orphaned process this instance ended, by owner id, e.g.
 * `server restarted: orphaned worker (pid 1234) ended`. Processes that were already gone leave no
 * note: they ended with the server, as they always did.
 */
export function orphanNotes(
  report: ReapReport<LedgerEntry>,
  kind: ProcessOwnerKind,
  noun = kind === 'overseer' ? 'worker' : 'process',
): Map<string, string> {
  const notes = new Map<string, string>();
  for (const { entry, outcome } of report.outcomes) {
    if (entry.ownerKind !== kind || (outcome !== 'ended' && outcome !== 'killed')) continue;
    notes.set(entry.ownerId, `server restarted: orphaned ${noun} (pid ${entry.pid}) ${outcome}`);
  }
  return notes;
}

/**
 * The ledger as the supervisor and the sessions write it: a failed write is logged, never thrown into
 * a spawn (the process runs either way; only its clean-up after a crash would be missed).
 */
export function guardedLedger(ledger: LiveProcessLedger, log: ReapLog) {
  const guarded = (
    action: 'record' | 'release',
    kind: ProcessOwnerKind,
    ownerId: string,
    pid: number,
  ): void => {
    try {
      ledger[action](kind, ownerId, pid);
    } catch (error) {
      log.warn(`process not ${action === 'record' ? 'recorded in' : 'released from'} the process ledger`, {
        kind,
        ownerId,
        pid,
        error: (error as Error).message,
      });
    }
  };
  return {
    record: (kind: ProcessOwnerKind, ownerId: string, pid: number) => guarded('record', kind, ownerId, pid),
    release: (kind: ProcessOwnerKind, ownerId: string, pid: number) => guarded('release', kind, ownerId, pid),
  };
}

/** How many of the earlier instances' processes met each outcome (for /metrics). */
export function orphanCounts(report: ReapReport<LedgerEntry>): Map<ReapOutcomeKind, number> {
  const counts = new Map<ReapOutcomeKind, number>();
  for (const { outcome } of report.outcomes) counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
  return counts;
}
