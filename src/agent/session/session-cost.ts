import type { SessionCost } from '../../protocol/rest/session.js';
import type { CliCostReading } from '../../store/sessions.js';
import type { StatusLineReport } from '../claude/hooks/status-line.js';
import { estimateCostUsd } from '../claude/transcript/model-pricing.js';
import type { ApiCall } from '../claude/transcript/transcript-entries.js';
import { CliCostCounter } from './cli-cost.js';

/** API calls remembered per run to count each once (an assistant message spans several lines). */
const REMEMBERED_CALLS = 1_000;
/**
 * The context window assumed for the transcript's estimate of the share in use (tokens): Claude
 * models' standard window. The CLI's status line knows the real one (1M for `[1m]` models).
 */
const CONTEXT_WINDOW_TOKENS = 200_000;

/** What the meter keeps beyond the cost and the model (stored with them). */
export interface MeterObserved {
  readonly contextUsedPct: number | null;
  readonly cliCost: CliCostReading | null;
}

export const NO_COST: SessionCost = {
  totalUsd: 0,
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
};

/**
 * What a session's agent spent, over all its runs, and the share of the context window it uses.
 * Each run counts the tokens of its API calls (from the transcript or stream-json, each call once)
 * and its USD: what the CLI reported for the run (the counter of an interactive CLI's status line,
 * see cli-cost.ts; a headless run's result) or, while it reported nothing, the list-price estimate
 * of its calls. The status line's model and context share, once it gave them, win over the
 * transcript's for the rest of the run.
 */
export class SessionCostMeter {
  private base: SessionCost;
  private run: SessionCost = NO_COST;
  private runEstimateUsd = 0;
  private runReportedUsd: number | null = null;
  private readonly calls = new Set<string>();
  private readonly cli: CliCostCounter;
  /** Whether this run's status line gave a model, a context share: the transcript's then only advise. */
  private statusModel = false;
  private statusContext = false;
  model: string | null;
  contextUsedPct: number | null;

  constructor(
    stored: SessionCost,
    model: string | null,
    observed: MeterObserved = { contextUsedPct: null, cliCost: null },
  ) {
    this.base = stored;
    this.model = model;
    this.contextUsedPct = observed.contextUsedPct;
    this.cli = new CliCostCounter(observed.cliCost);
  }

  /** The CLI's last cost counter reading, to store with the cost (null before any status line). */
  get cliCost(): CliCostReading | null {
    return this.cli.reading;
  }

  get cost(): SessionCost {
    return {
      ...this.run,
      totalUsd: this.base.totalUsd + (this.cli.runUsd ?? this.runReportedUsd ?? this.runEstimateUsd),
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
    if (call.model !== null && !this.statusModel) this.model = call.model;
    const { usage } = call;
    if (!this.statusContext) {
      const used = usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens;
      this.contextUsedPct = Math.min(100, Math.round((used / CONTEXT_WINDOW_TOKENS) * 1000) / 10);
    }
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

  /** What the running CLI's status line said: its cost counter, context share and model. */
  reportStatus(report: StatusLineReport): void {
    if (report.totalCostUsd !== null) this.cli.report(report.conversationId, report.totalCostUsd);
    if (report.contextUsedPct !== null) {
      this.contextUsedPct = report.contextUsedPct;
      this.statusContext = true;
    }
    if (report.model !== null) {
      this.model = report.model;
      this.statusModel = true;
    }
  }

  /** The run ended: what it spent joins the totals, and the next run counts from zero. */
  endRun(): void {
    this.base = this.cost;
    this.run = NO_COST;
    this.runEstimateUsd = 0;
    this.runReportedUsd = null;
    this.calls.clear();
    this.cli.endRun();
    this.statusModel = false;
    this.statusContext = false;
  }
}
