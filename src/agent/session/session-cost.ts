import type { SessionCost } from '../../protocol/rest/session.js';
import { estimateCostUsd } from '../claude/transcript/model-pricing.js';
import type { ApiCall } from '../claude/transcript/transcript-entries.js';

/** API calls remembered per run to count each once (an assistant message spans several lines). */
const REMEMBERED_CALLS = 1_000;

export const NO_COST: SessionCost = {
  totalUsd: 0,
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
};

/**
 * What a session's agent spent, over all its runs. Each run counts the tokens of its API calls (from
 * the transcript or stream-json, each call once) and its USD: what the CLI reported for the run (a
 * headless run's result) or, while it reported nothing, the list-price estimate of its calls.
 */
export class SessionCostMeter {
  private base: SessionCost;
  private run: SessionCost = NO_COST;
  private runEstimateUsd = 0;
  private runReportedUsd: number | null = null;
  private readonly calls = new Set<string>();
  model: string | null;

  constructor(stored: SessionCost, model: string | null) {
    this.base = stored;
    this.model = model;
  }

  get cost(): SessionCost {
    return {
      ...this.run,
      totalUsd: this.base.totalUsd + (this.runReportedUsd ?? this.runEstimateUsd),
      inputTokens: this.base.inputTokens + this.run.inputTokens,
      outputTokens: this.base.outputTokens + this.run.outputTokens,
      cacheReadTokens: this.base.cacheReadTokens + this.run.cacheReadTokens,
      cacheWriteTokens: this.base.cacheWriteTokens + this.run.cacheWriteTokens,
    };
  }

  /** Counts one API call; false when it was counted already. */
  addCall(call: ApiCall): boolean {
    if (this.calls.has(call.messageId)) return false;
    this.calls.add(call.messageId);
    if (this.calls.size > REMEMBERED_CALLS) this.calls.delete(this.calls.values().next().value as string);
    if (call.model !== null) this.model = call.model;
    const { usage } = call;
    this.run = {
      totalUsd: 0,
      inputTokens: this.run.inputTokens + usage.inputTokens,
      outputTokens: this.run.outputTokens + usage.outputTokens,
      cacheReadTokens: this.run.cacheReadTokens + usage.cacheReadTokens,
      cacheWriteTokens: this.run.cacheWriteTokens + usage.cacheWriteTokens,
    };
    this.runEstimateUsd += estimateCostUsd(call.model, usage);
    return true;
  }

  /** The CLI's own figure for the whole run so far (USD). */
  reportRunTotal(usd: number): void {
    if (Number.isFinite(usd) && usd >= 0) this.runReportedUsd = usd;
  }

  /** The run ended: what it spent joins the totals, and the next run counts from zero. */
  endRun(): void {
    this.base = this.cost;
    this.run = NO_COST;
    this.runEstimateUsd = 0;
    this.runReportedUsd = null;
    this.calls.clear();
  }
}
