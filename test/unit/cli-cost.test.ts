import { describe, expect, it } from 'vitest';
import type { StatusLineReport } from '../../src/agent/claude/hooks/status-line.js';
import { estimateCostUsd } from '../../src/agent/claude/transcript/model-pricing.js';
import { CliCostCounter } from '../../src/agent/session/cli-cost.js';
import { NO_COST, SessionCostMeter } from '../../src/agent/session/session-cost.js';

const A = 'conversation-a';
const B = 'conversation-b';

const status = (usd: number | null, more: Partial<StatusLineReport> = {}): StatusLineReport => ({
  conversationId: A,
  totalCostUsd: usd,
  contextUsedPct: null,
  model: null,
  rateLimits: null,
  ...more,
});

describe('the CLI cost counter of one run', () => {
  it('is the counter itself for a fresh process', () => {
    const counter = new CliCostCounter(null);
    expect(counter.runUsd).toBeNull();
    counter.report(A, 0);
    counter.report(A, 0.00915);
    counter.report(A, 0.01848);
    expect(counter.runUsd).toBeCloseTo(0.01848, 12);
    expect(counter.reading).toEqual({ conversationId: A, usd: 0.01848 });
  });

  it('counts only the growth of a counter a resumed process restored (seen with 2.1.197)', () => {
    const counter = new CliCostCounter({ conversationId: A, usd: 0.01848 });
    counter.report(A, 0.01848);
    expect(counter.runUsd).toBe(0);
    counter.report(A, 0.027985);
    expect(counter.runUsd).toBeCloseTo(0.009505, 12);
  });

  it('counts the unseen tail of the last run when the restored figure is above the last report', () => {
    const counter = new CliCostCounter({ conversationId: A, usd: 0.01 });
    counter.report(A, 0.012);
    expect(counter.runUsd).toBeCloseTo(0.002, 12);
  });

  it('counts from zero when the process did not restore the counter, or is another conversation', () => {
    const notRestored = new CliCostCounter({ conversationId: A, usd: 0.5 });
    notRestored.report(A, 0);
    notRestored.report(A, 0.1);
    expect(notRestored.runUsd).toBeCloseTo(0.1, 12);
    const other = new CliCostCounter({ conversationId: A, usd: 0.5 });
    other.report(B, 0.7);
    expect(other.runUsd).toBeCloseTo(0.7, 12);
  });

  it('keeps what a counter counted before it was reset within the run', () => {
    const counter = new CliCostCounter(null);
    counter.report(A, 0.3);
    counter.report(B, 0.02);
    counter.report(B, 0.05);
    expect(counter.runUsd).toBeCloseTo(0.35, 12);
    // /clear in 2.1.197: a new conversation, the same counter going on.
    counter.report(A, 0.06);
    expect(counter.runUsd).toBeCloseTo(0.36, 12);
  });

  it('ignores figures that are no amount of money', () => {
    const counter = new CliCostCounter(null);
    counter.report(A, 0.2);
    counter.report(A, Number.NaN);
    counter.report(A, -1);
    counter.report(A, Number.POSITIVE_INFINITY);
    expect(counter.runUsd).toBeCloseTo(0.2, 12);
  });

  it('hands its last reading to the next run', () => {
    const counter = new CliCostCounter(null);
    counter.report(A, 0.2);
    counter.endRun();
    expect(counter.runUsd).toBeNull();
    expect(counter.reading).toEqual({ conversationId: A, usd: 0.2 });
    counter.report(A, 0.2);
    expect(counter.runUsd).toBe(0);
  });
});

describe('a session’s cost meter with a status line', () => {
  const tokens = { inputTokens: 1000, outputTokens: 10, cacheReadTokens: 0, cacheWriteTokens: 0 };

  it('takes the CLI’s figure over the transcript estimate, and the estimate before any report', () => {
    const meter = new SessionCostMeter(NO_COST, null);
    meter.addCall({ messageId: 'm1', model: 'claude-opus-4-8', usage: tokens });
    expect(meter.cost.totalUsd).toBeCloseTo(estimateCostUsd('claude-opus-4-8', tokens), 12);
    meter.reportStatus(status(0.0123));
    expect(meter.cost.totalUsd).toBeCloseTo(0.0123, 12);
    expect(meter.cost.inputTokens).toBe(1000);
    meter.addCall({ messageId: 'm2', model: 'claude-opus-4-8', usage: tokens });
    expect(meter.cost.totalUsd).toBeCloseTo(0.0123, 12);
  });

  it('never goes backwards over runs that resume, restart or reset the counter', () => {
    const meter = new SessionCostMeter({ ...NO_COST, totalUsd: 1 }, null);
    meter.reportStatus(status(0));
    meter.reportStatus(status(0.2));
    meter.endRun();
    expect(meter.cost.totalUsd).toBeCloseTo(1.2, 12);
    // Resumed, counter restored.
    meter.reportStatus(status(0.2));
    expect(meter.cost.totalUsd).toBeCloseTo(1.2, 12);
    meter.reportStatus(status(0.25));
    meter.endRun();
    // A new conversation: the counter starts at zero.
    meter.reportStatus(status(0, { conversationId: B }));
    expect(meter.cost.totalUsd).toBeCloseTo(1.25, 12);
    meter.reportStatus(status(0.05, { conversationId: B }));
    expect(meter.cost.totalUsd).toBeCloseTo(1.3, 12);
  });

  it('continues from the stored reading after a server restart (an adopted agent)', () => {
    const before = new SessionCostMeter(NO_COST, null);
    before.reportStatus(status(0.4));
    const stored = before.cost;
    const after = new SessionCostMeter(stored, null, { contextUsedPct: 3, cliCost: before.cliCost });
    expect(after.contextUsedPct).toBe(3);
    after.reportStatus(status(0.45));
    expect(after.cost.totalUsd).toBeCloseTo(0.45, 12);
  });

  it('takes the status line’s context share and model over the transcript’s for the run', () => {
    const meter = new SessionCostMeter(NO_COST, null);
    meter.addCall({ messageId: 'm1', model: 'claude-opus-4-8', usage: { ...tokens, inputTokens: 20_000 } });
    expect(meter.contextUsedPct).toBe(10);
    meter.reportStatus(status(null));
    expect(meter.contextUsedPct).toBe(10);
    meter.reportStatus(status(null, { contextUsedPct: 2, model: 'claude-opus-4-8[1m]' }));
    meter.addCall({ messageId: 'm2', model: 'claude-opus-4-8', usage: { ...tokens, inputTokens: 40_000 } });
    expect(meter.contextUsedPct).toBe(2);
    expect(meter.model).toBe('claude-opus-4-8[1m]');
    meter.endRun();
    meter.addCall({ messageId: 'm3', model: 'claude-haiku-4-5', usage: { ...tokens, inputTokens: 40_000 } });
    expect(meter.contextUsedPct).toBe(20);
    expect(meter.model).toBe('claude-haiku-4-5');
  });
});
