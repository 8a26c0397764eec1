import { describe, expect, it } from 'vitest';
import { estimateCostUsd } from '../../src/agent/claude/transcript/model-pricing.js';
import type { ApiCall } from '../../src/agent/claude/transcript/transcript-entries.js';
import { NO_COST, SessionCostMeter } from '../../src/agent/session/session-cost.js';
import type { TokenUsage } from '../../src/protocol/rest/transcript.js';

const usage = (input: number, output: number, cacheRead = 0, cacheWrite = 0): TokenUsage => ({
  inputTokens: input,
  outputTokens: output,
  cacheReadTokens: cacheRead,
  cacheWriteTokens: cacheWrite,
});

const call = (messageId: string, tokens: TokenUsage, model: string | null = 'claude-opus-4-8'): ApiCall => ({
  messageId,
  model,
  usage: tokens,
});

const MTOK = 1_000_000;

describe('estimateCostUsd', () => {
  it('prices opus-4-8 at $5 / $25 per MTok', () => {
    expect(estimateCostUsd('claude-opus-4-8', usage(1803 + 1890, 10))).toBeCloseTo(0.018715, 9);
    expect(estimateCostUsd('claude-opus-4-8', usage(MTOK, 0))).toBeCloseTo(5, 9);
    expect(estimateCostUsd('claude-opus-4-8', usage(0, MTOK))).toBeCloseTo(25, 9);
    expect(estimateCostUsd('claude-opus-4-8', usage(0, 0, MTOK, 0))).toBeCloseTo(0.5, 9);
    expect(estimateCostUsd('claude-opus-4-8', usage(0, 0, 0, MTOK))).toBeCloseTo(6.25, 9);
    expect(estimateCostUsd('claude-opus-4-5-20251101', usage(MTOK, MTOK))).toBeCloseTo(30, 9);
  });

  it('prices the legacy Opus models at $15 / $75 per MTok', () => {
    for (const model of [
      'claude-opus-4-20250514',
      'claude-opus-4-0',
      'claude-opus-4-1-20250805',
      'claude-3-opus-20240229',
    ]) {
      expect(estimateCostUsd(model, usage(MTOK, MTOK)), model).toBeCloseTo(90, 9);
    }
  });

  it('prices Sonnet at $3 / $15 per MTok', () => {
    expect(estimateCostUsd('claude-sonnet-4-6', usage(MTOK, MTOK, MTOK, MTOK))).toBeCloseTo(
      3 + 15 + 0.3 + 3.75,
      9,
    );
  });

  it('prices Haiku 4.5 at $1 / $5, Haiku 3.5 at $0.8 / $4, Haiku 3 at $0.25 / $1.25', () => {
    expect(estimateCostUsd('claude-haiku-4-5-20251001', usage(MTOK, MTOK))).toBeCloseTo(6, 9);
    expect(estimateCostUsd('claude-3-5-haiku-20241022', usage(MTOK, MTOK))).toBeCloseTo(4.8, 9);
    expect(estimateCostUsd('claude-3-haiku-20240307', usage(MTOK, MTOK))).toBeCloseTo(1.5, 9);
  });

  it('prices an unknown or missing model as a Sonnet', () => {
    const tokens = usage(1234, 567, 89, 10);
    const sonnet = estimateCostUsd('claude-sonnet-4-6', tokens);
    expect(sonnet).toBeCloseTo((1234 * 3 + 567 * 15 + 89 * 0.3 + 10 * 3.75) / MTOK, 12);
    expect(estimateCostUsd('some-future-model', tokens)).toBe(sonnet);
    expect(estimateCostUsd(null, tokens)).toBe(sonnet);
  });

  it('is zero for no tokens', () => {
    expect(estimateCostUsd('claude-opus-4-8', usage(0, 0))).toBe(0);
  });
});

describe('SessionCostMeter', () => {
  it('starts from the stored cost and model', () => {
    const stored = {
      totalUsd: 1.5,
      inputTokens: 100,
      outputTokens: 20,
      cacheReadTokens: 3,
      cacheWriteTokens: 4,
    };
    const meter = new SessionCostMeter(stored, 'claude-sonnet-4-6');
    expect(meter.cost).toEqual(stored);
    expect(meter.model).toBe('claude-sonnet-4-6');
  });

  it('counts a call once per messageId and sums the tokens', () => {
    const meter = new SessionCostMeter(NO_COST, null);
    expect(meter.addCall(call('msg_1', usage(1803, 3)))).toBe(true);
    expect(meter.addCall(call('msg_1', usage(1803, 3)))).toBe(false);
    expect(meter.addCall(call('msg_2', usage(1890, 7, 50, 60)))).toBe(true);
    const cost = meter.cost;
    expect(cost).toMatchObject({
      inputTokens: 3693,
      outputTokens: 10,
      cacheReadTokens: 50,
      cacheWriteTokens: 60,
    });
    expect(cost.totalUsd).toBeCloseTo(
      estimateCostUsd('claude-opus-4-8', usage(1803, 3)) +
        estimateCostUsd('claude-opus-4-8', usage(1890, 7, 50, 60)),
      12,
    );
    expect(meter.model).toBe('claude-opus-4-8');
  });

  it('estimates the two-call opus run at about $0.018715', () => {
    const meter = new SessionCostMeter(NO_COST, null);
    meter.addCall(call('msg_1', usage(1803, 3)));
    meter.addCall(call('msg_2', usage(1890, 7)));
    expect(meter.cost.totalUsd).toBeCloseTo(0.018715, 9);
  });

  it('keeps the last known model when a call has none', () => {
    const meter = new SessionCostMeter(NO_COST, 'claude-opus-4-8');
    meter.addCall(call('msg_1', usage(10, 1), null));
    expect(meter.model).toBe('claude-opus-4-8');
    meter.addCall(call('msg_2', usage(10, 1), 'claude-haiku-4-5'));
    expect(meter.model).toBe('claude-haiku-4-5');
  });

  it('reportRunTotal overrides the estimate for the run, on top of the base', () => {
    const meter = new SessionCostMeter({ ...NO_COST, totalUsd: 2 }, null);
    meter.addCall(call('msg_1', usage(MTOK, 0)));
    expect(meter.cost.totalUsd).toBeCloseTo(7, 9);
    meter.reportRunTotal(0.25);
    expect(meter.cost.totalUsd).toBeCloseTo(2.25, 9);
    meter.addCall(call('msg_2', usage(MTOK, 0)));
    expect(meter.cost.totalUsd).toBeCloseTo(2.25, 9);
    expect(meter.cost.inputTokens).toBe(2 * MTOK);
  });

  it('ignores a negative or non-finite reported total', () => {
    const meter = new SessionCostMeter(NO_COST, null);
    meter.addCall(call('msg_1', usage(MTOK, 0)));
    meter.reportRunTotal(-1);
    meter.reportRunTotal(Number.NaN);
    meter.reportRunTotal(Number.POSITIVE_INFINITY);
    expect(meter.cost.totalUsd).toBeCloseTo(5, 9);
    meter.reportRunTotal(0);
    expect(meter.cost.totalUsd).toBe(0);
  });

  it('endRun folds the run into the base; the next run counts from zero', () => {
    const meter = new SessionCostMeter({ ...NO_COST, totalUsd: 1, inputTokens: 5 }, null);
    meter.addCall(call('msg_1', usage(100, 10)));
    meter.reportRunTotal(0.5);
    meter.endRun();
    expect(meter.cost).toEqual({
      totalUsd: 1.5,
      inputTokens: 105,
      outputTokens: 10,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
    });
    // The reported figure was for the last run only: the next run estimates again.
    meter.addCall(call('msg_2', usage(MTOK, 0)));
    expect(meter.cost.totalUsd).toBeCloseTo(6.5, 9);
    expect(meter.cost.inputTokens).toBe(105 + MTOK);
    // The same message id in a new run counts again (the remembered ids were cleared).
    expect(meter.addCall(call('msg_1', usage(1, 1)))).toBe(true);
  });

  it('endRun without calls leaves the totals as they were', () => {
    const stored = { totalUsd: 3, inputTokens: 1, outputTokens: 2, cacheReadTokens: 3, cacheWriteTokens: 4 };
    const meter = new SessionCostMeter(stored, null);
    meter.endRun();
    meter.endRun();
    expect(meter.cost).toEqual(stored);
  });
});
