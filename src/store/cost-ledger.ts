import type { Database } from './database.js';
import { type StorageGuard, storageGuardOf } from './storage-guard.js';

/** One cell of the cost ledger: what was spent on one day for one case ('' outside the cases). */
export interface CostCell {
  readonly day: string;
  readonly caseName: string;
  readonly usd: number;
}

export interface CostLedgerRepository {
  loadAll(): CostCell[];
  /** Writes the cell's whole amount (not a delta), now or as soon as the store takes writes again. */
  saveEventually(cell: CostCell): void;
}

/** Table `cost_ledger`: one row per day and case, holding the amount spent (USD). */
export class SqliteCostLedgerRepository implements CostLedgerRepository {
  private readonly upsert;
  private readonly selectAll;
  private readonly guard: StorageGuard;

  constructor(db: Database) {
    this.guard = storageGuardOf(db);
    this.upsert = db.prepare(`
      INSERT INTO cost_ledger (day, case_name, usd) VALUES (@day, @caseName, @usd)
      ON CONFLICT (day, case_name) DO UPDATE SET usd = excluded.usd`);
    this.selectAll = db.prepare<[], { day: string; case_name: string; usd: number }>(
      'SELECT day, case_name, usd FROM cost_ledger ORDER BY day, case_name',
    );
  }

  loadAll(): CostCell[] {
    return this.selectAll.all().map((row) => ({ day: row.day, caseName: row.case_name, usd: row.usd }));
  }

  saveEventually(cell: CostCell): void {
    // The whole amount, keyed by its row: a write kept for later is replaced by a newer one, never lost.
    this.guard.writeEventually(`cost_ledger:${cell.day}:${cell.caseName}`, () => {
      this.upsert.run(cell);
    });
  }
}
