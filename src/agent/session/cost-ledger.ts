import { isAbsolute, relative, sep } from 'node:path';
import type { CostSummary } from '../../protocol/rest/status.js';
import type { CostCell, CostLedgerRepository } from '../../store/cost-ledger.js';
import type { Clock } from '../../supervisor/clock.js';

/** Days of spending listed in the summary (newest first): a month, enough to see a trend. */
export const COST_SUMMARY_DAYS = 31;

export interface CostLedgerOptions {
  readonly repository: CostLedgerRepository;
  readonly clock: Clock;
  /** Sessions working under `<casesRoot>/<name>` count for case `name`. */
  readonly casesRoot: string;
  readonly warn: (message: string, detail?: Record<string, unknown>) => void;
}

/** The server's local date of `ms`, YYYY-MM-DD: a person's "today", not UTC's. */
export function localDay(ms: number): string {
  const at = new Date(ms);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())}`;
}

/** The case a working directory belongs to: the first directory under the cases root, else ''. */
export function caseOf(workingDir: string, casesRoot: string): string {
  const path = relative(casesRoot, workingDir);
  if (path === '' || path.startsWith('..') || isAbsolute(path)) return '';
  return path.split(sep)[0] ?? '';
}

/**
 * What the agents spent, per day and per case, kept beyond their sessions: a scheduled run deletes
 * each iteration's session, yet its spending must still show in the day's total. Fed with each
 * session's running total (`session:cost`); only the growth since the last total seen is booked,
 * on the day it is seen, so a restart (totals restored as the baseline) never counts twice.
 */
export class CostLedger {
  private readonly cells = new Map<string, CostCell>();
  /** Each session's total already booked (USD). */
  private readonly booked = new Map<string, number>();
  /** Each session's working directory, remembered: it may be deleted before its last total arrives. */
  private readonly dirs = new Map<string, string>();

  constructor(private readonly options: CostLedgerOptions) {
    for (const cell of options.repository.loadAll()) this.cells.set(cellKey(cell.day, cell.caseName), cell);
  }

  /** A session that exists as counting starts: what it spent before is booked already. */
  baseline(sessionId: string, workingDir: string, totalUsd: number): void {
    this.dirs.set(sessionId, workingDir);
    this.booked.set(sessionId, totalUsd);
  }

  /** A new session's directory (its first total may come after it is gone). */
  track(sessionId: string, workingDir: string): void {
    this.dirs.set(sessionId, workingDir);
    if (!this.booked.has(sessionId)) this.booked.set(sessionId, 0);
  }

  /** A session's running total: the growth since the last one is booked today for its case. */
  observe(sessionId: string, totalUsd: number): void {
    const before = this.booked.get(sessionId) ?? 0;
    const growth = totalUsd - before;
    if (!Number.isFinite(growth) || growth <= 0) return;
    this.booked.set(sessionId, totalUsd);
    const day = localDay(this.options.clock.now());
    const caseName = caseOf(this.dirs.get(sessionId) ?? this.options.casesRoot, this.options.casesRoot);
    const key = cellKey(day, caseName);
    const cell = { day, caseName, usd: (this.cells.get(key)?.usd ?? 0) + growth };
    this.cells.set(key, cell);
    try {
      this.options.repository.saveEventually(cell);
    } catch (error) {
      // Not a storage fault (those are kept and written later): a bug, reported; the sum stays in memory.
      this.options.warn('cost ledger not persisted', { error: (error as Error).message });
    }
  }

  forget(sessionId: string): void {
    this.booked.delete(sessionId);
    this.dirs.delete(sessionId);
  }

  /** Totals: all time, today, the latest days, per case (all time). */
  summary(): Pick<CostSummary, 'totalUsd' | 'todayUsd' | 'days' | 'cases'> {
    const byDay = new Map<string, number>();
    const byCase = new Map<string, number>();
    let totalUsd = 0;
    for (const cell of this.cells.values()) {
      totalUsd += cell.usd;
      byDay.set(cell.day, (byDay.get(cell.day) ?? 0) + cell.usd);
      byCase.set(cell.caseName, (byCase.get(cell.caseName) ?? 0) + cell.usd);
    }
    const days = [...byDay]
      .sort(([a], [b]) => (a < b ? 1 : a > b ? -1 : 0))
      .slice(0, COST_SUMMARY_DAYS)
      .map(([day, usd]) => ({ day, usd }));
    const cases = [...byCase].sort(([, a], [, b]) => b - a).map(([name, usd]) => ({ case: name, usd }));
    const todayUsd = byDay.get(localDay(this.options.clock.now())) ?? 0;
    return { totalUsd, todayUsd, days, cases };
  }
}

function cellKey(day: string, caseName: string): string {
  return `${day}\u0000${caseName}`;
}
