import type { CliCostReading } from '../../store/sessions.js';

/**
 * Below this two USD figures of the CLI are the same (floating-point sums of per-call costs): a
 * millionth of a cent.
 */
const SAME_USD = 1e-8;

/**
 * What one CLI process of a session spent, from the cost counter its status line reports
 * (`cost.total_cost_usd`). The counter is the process's, not the run's, so the run's spending is
 * the counter's growth since the run began:
 * - a process that resumes a conversation may start its counter from that conversation's last
 *   figure (Claude Code restores `lastCost` when its project config still names the conversation),
 *   or from zero. Its first report tells: the same conversation at or above the last figure we saw
 *   is taken as restored, and only the growth beyond it is new. (The first report comes as the CLI
 *   starts, before any API call, so a fresh counter is still below the old figure.) A server that
 *   adopts a running agent after a restart continues the same way, from the stored reading.
 * - a counter that goes down within a process (it was reset) starts a new stretch; what the old one
 *   counted stays counted.
 * So the total never goes backwards when the CLI restarts, resumes or resets its counter.
 */
export class CliCostCounter {
  /** The counter's value that was already counted when this run began (or its stretch started). */
  private start = 0;
  /** USD of the run's earlier stretches (before a counter reset). */
  private closed = 0;
  /** The run's last report; null until the run reported. */
  private last: CliCostReading | null = null;

  /** `previous`: the last reading of an earlier run (or of this one, before a server restart). */
  constructor(private previous: CliCostReading | null) {}

  /** The run's USD so far; null while the run has not reported (the estimate stands). */
  get runUsd(): number | null {
    if (this.last === null) return null;
    return this.closed + Math.max(0, this.last.usd - this.start);
  }

  /** The reading to store: the last the CLI reported, in this run or before. */
  get reading(): CliCostReading | null {
    return this.last ?? this.previous;
  }

  /** The CLI reported its counter (USD) for `conversationId`. */
  report(conversationId: string | null, usd: number): void {
    if (!Number.isFinite(usd) || usd < 0) return;
    const last = this.last;
    if (last === null) {
      const before = this.previous;
      const restored =
        before !== null && before.conversationId === conversationId && usd + SAME_USD >= before.usd;
      this.start = restored ? before.usd : 0;
    } else if (usd + SAME_USD < last.usd) {
      this.closed += Math.max(0, last.usd - this.start);
      this.start = 0;
    }
    this.last = { conversationId, usd };
  }

  /** The process ended: its last reading is what the next one may start from. */
  endRun(): void {
    this.previous = this.reading;
    this.last = null;
    this.start = 0;
    this.closed = 0;
  }
}
