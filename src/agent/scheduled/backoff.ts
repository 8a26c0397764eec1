import { ScheduledTiming } from './limits.js';

/** The pause before the next iteration after `consecutiveFailures` (≥ 1) failed ones in a row. */
export function failureBackoffMs(consecutiveFailures: number): number {
  const exponent = Math.max(0, consecutiveFailures - 1);
  // 2^exponent overflows to Infinity long after the cap applies; Math.min keeps the result finite.
  return Math.min(
    ScheduledTiming.failureBackoffMaxMs,
    ScheduledTiming.failureBackoffInitialMs * 2 ** exponent,
  );
}
