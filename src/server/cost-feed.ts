import type { CostLedger } from '../agent/session/cost-ledger.js';
import type { CostSummary } from '../protocol/rest/status.js';
import type { EngineEvent } from './engine-event.js';

/**
 * Books sessions' spending into the ledger as their events are published (synchronously, before any
 * subscriber: a session deleted right after its last `session:cost` is still counted). Until
 * `begin()`, restored sessions' events are not booked: what they spent before is the baseline.
 */
export class CostFeed {
  private counting = false;

  constructor(private readonly ledger: CostLedger) {}

  begin(existing: Iterable<{ id: string; workingDir: string; totalCost: number }>): void {
    for (const session of existing) this.ledger.baseline(session.id, session.workingDir, session.totalCost);
    this.counting = true;
  }

  take(event: EngineEvent): void {
    if (!this.counting) return;
    switch (event.kind) {
      case 'session:created':
        this.ledger.track(event.sessionId, event.data.session.workingDir);
        return;
      case 'session:cost':
        this.ledger.observe(event.sessionId, event.data.cost.totalUsd);
        return;
      case 'session:deleted':
        this.ledger.forget(event.sessionId);
        return;
    }
  }

  /** The summary with the loops' own sums (`ralphUsd`, `scheduledRuns`) added. */
  summary(ralphUsd: number, scheduledRuns: readonly { id: string; totalCost: number }[]): CostSummary {
    return {
      ...this.ledger.summary(),
      ralphUsd,
      scheduledRuns: scheduledRuns.map((run) => ({ id: run.id, usd: run.totalCost })),
    };
  }
}
