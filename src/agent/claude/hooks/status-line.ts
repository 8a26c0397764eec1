import type { RateLimitWindow, SessionRateLimits } from '../../../protocol/rest/session.js';

/**
 * What the JSON Claude Code hands its `statusLine` command on every refresh says about the session.
 * Seen from 2.1.197: `session_id`, `transcript_path`, `cwd`, `model {id, display_name}`, `workspace`,
 * `version`, `cost {total_cost_usd, total_duration_ms, total_api_duration_ms, total_lines_added,
 * total_lines_removed}`, `context_window {total_input_tokens, total_output_tokens,
 * context_window_size, current_usage, used_percentage, remaining_percentage}` (the percentages are
 * null before the first API reply), `exceeds_200k_tokens`, and, for claude.ai subscription plans
 * only, `rate_limits {five_hour, seven_day: {used_percentage, resets_at}}`: the API's
 * `anthropic-ratelimit-unified-*-utilization` × 100 and `-reset` (epoch seconds).
 *
 * `total_cost_usd` is the CLI process's own counter: it includes side calls the transcript does not
 * show, goes on across `/clear` (a new `session_id`, same counter), and a `--resume` restores the
 * conversation's last figure when the CLI saved it (`lastCost` in its project config).
 */
export interface StatusLineReport {
  /** The CLI's conversation (`session_id`). */
  readonly conversationId: string | null;
  /** USD the CLI process counts so far (`cost.total_cost_usd`). */
  readonly totalCostUsd: number | null;
  /** `context_window.used_percentage`, 0–100; null before the first API reply. */
  readonly contextUsedPct: number | null;
  /** `model.id`, e.g. `claude-opus-4-8` (the CLI may append a window tag such as `[1m]`). */
  readonly model: string | null;
  /** Null when the report carries none (API-key users never get them). */
  readonly rateLimits: SessionRateLimits | null;
}

/** A `resets_at` above this is taken as epoch milliseconds, not seconds (year 5138 in seconds). */
const EPOCH_MS_THRESHOLD = 100_000_000_000;

function record(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

function nonNegative(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;
}

function shortText(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value.slice(0, 200) : null;
}

/** `resets_at` as epoch ms: epoch seconds (what 2.1.197 sends), epoch ms, or an ISO 8601 time. */
function resetTime(value: unknown): number | null {
  const number = nonNegative(value);
  if (number !== null) return number > EPOCH_MS_THRESHOLD ? number : number * 1000;
  if (typeof value !== 'string') return null;
  const parsed = Date.parse(value);
  return Number.isFinite(parsed) ? parsed : null;
}

function window(value: unknown): RateLimitWindow | null {
  const fields = record(value);
  const usedPct = nonNegative(fields?.used_percentage);
  if (fields === null || usedPct === null) return null;
  return { usedPct, resetsAt: resetTime(fields.resets_at) };
}

function rateLimits(value: unknown): SessionRateLimits | null {
  const fields = record(value);
  if (fields === null) return null;
  const fiveHour = window(fields.five_hour);
  const sevenDay = window(fields.seven_day);
  if (fiveHour === null && sevenDay === null) return null;
  return { ...(fiveHour === null ? {} : { fiveHour }), ...(sevenDay === null ? {} : { sevenDay }) };
}

/** The report in a status line payload; every field the payload lacks (or has malformed) is null. */
export function parseStatusLine(payload: Record<string, unknown>): StatusLineReport {
  const context = nonNegative(record(payload.context_window)?.used_percentage);
  return {
    conversationId: shortText(payload.session_id),
    totalCostUsd: nonNegative(record(payload.cost)?.total_cost_usd),
    contextUsedPct: context === null ? null : Math.min(100, context),
    model: shortText(record(payload.model)?.id),
    rateLimits: rateLimits(payload.rate_limits),
  };
}
