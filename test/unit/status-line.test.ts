import { describe, expect, it } from 'vitest';
import { parseStatusLine } from '../../src/agent/claude/hooks/status-line.js';
import { statusLineLimit } from '../../src/agent/session/usage-limit.js';

/** What Claude Code 2.1.197 handed its statusLine command after one turn (against the fake API). */
const SEEN_2_1_197 = {
  session_id: '42b4afeb-d95e-4c6a-9052-c2659fdbe34b',
  transcript_path: '/tmp/home/.claude/projects/-tmp-work/42b4afeb-d95e-4c6a-9052-c2659fdbe34b.jsonl',
  cwd: '/tmp/work',
  prompt_id: 'd4d63fac-1b8c-491a-95ae-871593967673',
  effort: { level: 'high' },
  model: { id: 'claude-opus-4-8[1m]', display_name: 'Opus 4.8 (1M context)' },
  workspace: { current_dir: '/tmp/work', project_dir: '/tmp/work', added_dirs: [] },
  version: '2.1.197',
  output_style: { name: 'default' },
  cost: {
    total_cost_usd: 0.00915,
    total_duration_ms: 7593,
    total_api_duration_ms: 32,
    total_lines_added: 0,
    total_lines_removed: 0,
  },
  context_window: {
    total_input_tokens: 1800,
    total_output_tokens: 6,
    context_window_size: 1000000,
    current_usage: {
      input_tokens: 1800,
      output_tokens: 6,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    },
    used_percentage: 0,
    remaining_percentage: 100,
  },
  exceeds_200k_tokens: false,
  fast_mode: false,
  thinking: { enabled: true },
};

const HOUR_S = 3600;

describe('the status line JSON', () => {
  it('gives the CLI’s cost counter, context share, model and conversation', () => {
    expect(parseStatusLine(SEEN_2_1_197)).toEqual({
      conversationId: '42b4afeb-d95e-4c6a-9052-c2659fdbe34b',
      totalCostUsd: 0.00915,
      contextUsedPct: 0,
      model: 'claude-opus-4-8[1m]',
      rateLimits: null,
    });
  });

  it('has no context share before the first API reply (the CLI sends null)', () => {
    const first = {
      ...SEEN_2_1_197,
      cost: { ...SEEN_2_1_197.cost, total_cost_usd: 0 },
      context_window: { context_window_size: 1000000, used_percentage: null, current_usage: null },
    };
    expect(parseStatusLine(first)).toMatchObject({ totalCostUsd: 0, contextUsedPct: null });
  });

  it('takes a subscription’s rate limits, resets_at in epoch seconds (or ms, or ISO 8601)', () => {
    const resetsAt = 1_900_000_000;
    const report = parseStatusLine({
      ...SEEN_2_1_197,
      rate_limits: {
        five_hour: { used_percentage: 23.5, resets_at: resetsAt },
        seven_day: { used_percentage: 41.2, resets_at: '2030-03-17T10:00:00Z' },
      },
    });
    expect(report.rateLimits).toEqual({
      fiveHour: { usedPct: 23.5, resetsAt: resetsAt * 1000 },
      sevenDay: { usedPct: 41.2, resetsAt: Date.parse('2030-03-17T10:00:00Z') },
    });
    const inMs = parseStatusLine({ rate_limits: { five_hour: { used_percentage: 5, resets_at: 1.9e12 } } });
    expect(inMs.rateLimits).toEqual({ fiveHour: { usedPct: 5, resetsAt: 1.9e12 } });
    const noReset = parseStatusLine({ rate_limits: { seven_day: { used_percentage: 5 } } });
    expect(noReset.rateLimits).toEqual({ sevenDay: { usedPct: 5, resetsAt: null } });
  });

  it('reads malformed or missing fields as null, never as numbers it made up', () => {
    expect(parseStatusLine({})).toEqual({
      conversationId: null,
      totalCostUsd: null,
      contextUsedPct: null,
      model: null,
      rateLimits: null,
    });
    expect(
      parseStatusLine({
        session_id: 42,
        cost: { total_cost_usd: -1 },
        context_window: { used_percentage: 'full' },
        model: 'opus',
        rate_limits: { five_hour: { used_percentage: Number.NaN, resets_at: 1 }, seven_day: [] },
      }),
    ).toEqual({
      conversationId: null,
      totalCostUsd: null,
      contextUsedPct: null,
      model: null,
      rateLimits: null,
    });
    expect(
      parseStatusLine({ cost: 'free', context_window: null, rate_limits: 'none' }).totalCostUsd,
    ).toBeNull();
    expect(parseStatusLine({ context_window: { used_percentage: 140 } }).contextUsedPct).toBe(100);
  });
});

describe('a usage limit from the status line', () => {
  const now = 1_800_000_000_000;
  const at = (offsetS: number) => now + offsetS * 1000;

  it('is reached at 100 % of a window, until it resets', () => {
    expect(statusLineLimit({ fiveHour: { usedPct: 100, resetsAt: at(HOUR_S) } }, now)).toEqual({
      until: at(HOUR_S),
      known: true,
      reason: 'usage limit reached (5-hour window at 100%)',
    });
  });

  it('is not reached below 100 %, without a reset time, or with one already past', () => {
    expect(statusLineLimit(null, now)).toBeNull();
    expect(statusLineLimit({ fiveHour: { usedPct: 99.9, resetsAt: at(HOUR_S) } }, now)).toBeNull();
    expect(statusLineLimit({ sevenDay: { usedPct: 100, resetsAt: null } }, now)).toBeNull();
    expect(statusLineLimit({ fiveHour: { usedPct: 100, resetsAt: at(-1) } }, now)).toBeNull();
  });

  it('lifts when every reached window has reset', () => {
    const limit = statusLineLimit(
      {
        fiveHour: { usedPct: 104, resetsAt: at(HOUR_S) },
        sevenDay: { usedPct: 100, resetsAt: at(50 * HOUR_S) },
      },
      now,
    );
    expect(limit?.until).toBe(at(50 * HOUR_S));
    expect(limit?.reason).toBe('usage limit reached (5-hour window at 104%, 7-day window at 100%)');
  });
});
