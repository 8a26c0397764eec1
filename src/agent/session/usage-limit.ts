import type { SessionRateLimits } from '../../protocol/rest/session.js';

/**
 * Whether a failed turn hit a usage or rate limit, and when it lifts. The CLI classes the error
 * (`rate_limit` in its StopFailure hook); its message is the fallback: "Claude AI usage limit
 * reached|<epoch s>" (older CLIs), "… limit reached … resets 3pm", "(429)".
 */

/** How long a limit whose reset time is unknown is assumed to last (ms). */
export const UNKNOWN_LIMIT_WAIT_MS = 5 * 60_000;

const LIMIT_TEXT = /usage limit|rate.?limit|limit reached|\(429\)|\b429\b/i;

export interface UsageLimit {
  /** When the limit lifts (epoch ms). */
  readonly until: number;
  /** Whether `until` was reported, not assumed. */
  readonly known: boolean;
}

/** "resets 3pm", "resets at 11:30 am": the next such time of day after `now` (local time). */
function resetTimeOfDay(text: string, now: number): number | null {
  const match = /resets?\s+(?:at\s+)?(\d{1,2})(?::(\d{2}))?\s*(am|pm)?/i.exec(text);
  if (match === null) return null;
  let hours = Number(match[1]);
  const minutes = match[2] === undefined ? 0 : Number(match[2]);
  const half = match[3]?.toLowerCase();
  if (half === 'pm' && hours < 12) hours += 12;
  if (half === 'am' && hours === 12) hours = 0;
  if (hours > 23 || minutes > 59) return null;
  const at = new Date(now);
  at.setHours(hours, minutes, 0, 0);
  if (at.getTime() <= now) at.setDate(at.getDate() + 1);
  return at.getTime();
}

export function usageLimitOf(error: string, errorKind: string | null, now: number): UsageLimit | null {
  if (errorKind !== 'rate_limit' && !LIMIT_TEXT.test(error)) return null;
  const epoch = /\|(\d{10})\b/.exec(error);
  if (epoch !== null) return { until: Number(epoch[1]) * 1000, known: true };
  const timeOfDay = resetTimeOfDay(error, now);
  if (timeOfDay !== null) return { until: timeOfDay, known: true };
  return { until: now + UNKNOWN_LIMIT_WAIT_MS, known: false };
}

/** The windows of a plan's usage limits, with the names people know them by. */
const LIMIT_WINDOWS = [
  ['fiveHour', '5-hour'],
  ['sevenDay', '7-day'],
] as const;

/** The share of a window at which the CLI's status line says its limit is reached (percent). */
const LIMIT_REACHED_PCT = 100;

/**
 * Whether the usage limits the CLI's status line reported are reached: a window at 100 % or more
 * that resets later than `now` (a reset time in the past means the window has started over). The
 * limit lifts when every reached window has reset. Null below the limit, or without a reset time.
 */
export function statusLineLimit(
  limits: SessionRateLimits | null,
  now: number,
): (UsageLimit & { readonly reason: string }) | null {
  let until: number | null = null;
  const reached: string[] = [];
  for (const [key, name] of LIMIT_WINDOWS) {
    const window = limits?.[key];
    if (window === undefined || window.usedPct < LIMIT_REACHED_PCT) continue;
    if (window.resetsAt === null || window.resetsAt <= now) continue;
    until = Math.max(until ?? 0, window.resetsAt);
    reached.push(`${name} window at ${Math.round(window.usedPct)}%`);
  }
  if (until === null) return null;
  return { until, known: true, reason: `usage limit reached (${reached.join(', ')})` };
}
