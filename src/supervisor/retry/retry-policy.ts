import type { RetryPolicy } from '../../protocol/overseer/retry-policy.js';

/**
 * When and how often a task is restarted after it exits on its own, by its RetryPolicy (the shape is
 * the protocol's, protocol/overseer/retry-policy.ts; what it means is decided here). Durations are
 * nanoseconds (bigint), as the policy keeps them.
 */

/** int64 nanoseconds: the longest delay a Go duration (and so the wire) can express. */
const MAX_DELAY_NS = (1n << 63n) - 1n;

/** Uniform in [0, 1), like Math.random; injected so that jitter is deterministic in tests. */
export type RandomSource = () => number;

/** What the policy says about an exit that just happened. */
export type RetryDecision =
  | { readonly action: 'give-up'; readonly exitCount: number }
  | { readonly action: 'restart'; readonly exitCount: number };

export function decideAfterExit(policy: RetryPolicy, exitCount: number): RetryDecision {
  if (policy.errorThreshold > 0 && exitCount >= policy.errorThreshold)
    return { action: 'give-up', exitCount };
  return { action: 'restart', exitCount };
}

/**
 * How an unintentional exit is treated, by its exit code:
 * - `finished`: a code in `no_restart_exit_codes`. The run is over as if the task had no policy: it
 *   stays `active` with its worker exited, nothing is counted, nothing is broadcast beyond `exited`.
 *   (Not `stopped`: nobody asked for a stop, and a client sees the same state as for a task without
 *   policy; not `errored`: the code was declared an expected outcome, not a failure.)
 * - `uncounted`: a code in `always_restart_exit_codes`. Restarts without counting toward the
 *   threshold, so it can never error the task; the backoff still grows, so it cannot spin.
 * - `counted`: every other exit, the original's rule.
 */
export type ExitClass = 'finished' | 'uncounted' | 'counted';

export function classifyExit(policy: RetryPolicy, exitCode: number): ExitClass {
  if (policy.noRestartExitCodes?.includes(exitCode)) return 'finished';
  if (policy.alwaysRestartExitCodes?.includes(exitCode)) return 'uncounted';
  return 'counted';
}

/** The restart to schedule: its delay, and the consecutive-restart count once it is scheduled. */
export interface RestartPlan {
  readonly delayNs: bigint;
  readonly consecutiveRestarts: number;
}

/**
 * Plans the next restart. `consecutiveRestarts` is how many restarts happened since the last
 * manual start/reset or stable run; a worker that ran at least `reset_after` starts the count anew.
 */
export function planRestart(
  policy: RetryPolicy,
  consecutiveRestarts: number,
  ranForMs: number,
  random: RandomSource,
): RestartPlan {
  const streak = isStableRun(policy, ranForMs) ? 0 : consecutiveRestarts;
  return { delayNs: restartDelay(policy, streak, random), consecutiveRestarts: streak + 1 };
}

export function isStableRun(policy: RetryPolicy, ranForMs: number): boolean {
  if (policy.resetAfterNs === undefined) return false;
  return ranForMs * 1e6 >= Number(policy.resetAfterNs);
}

/**
 * The delay before the restart that follows `streak` consecutive ones: the base grown by
 * `multiplier^streak`, capped, randomised by ± jitter, and capped again so the cap is a hard bound
 * (capping before the jitter keeps the randomisation alive once the growth has reached the cap).
 *
 * A zero or negative base restarts at once and stays untouched: there is nothing to grow or spread,
 * and the original's value is echoed in `restarting` exactly as before.
 */
export function restartDelay(policy: RetryPolicy, streak: number, random: RandomSource): bigint {
  const base = policy.restartDelayNs;
  if (base <= 0n) return base;
  const grown = capped(policy, grow(base, policy.backoffMultiplier, streak));
  if (policy.jitter === undefined) return grown;
  return capped(policy, spread(grown, policy.jitter, random()));
}

function grow(base: bigint, multiplier: number | undefined, streak: number): bigint {
  // No growth keeps the exact bigint: no round trip through a double for the common case.
  if (multiplier === undefined || streak === 0) return base;
  return toDelayNs(Number(base) * multiplier ** streak);
}

function spread(delayNs: bigint, jitter: number, unit: number): bigint {
  // unit ∈ [0, 1) maps onto a factor in [1 - jitter, 1 + jitter).
  return toDelayNs(Number(delayNs) * (1 + jitter * (2 * unit - 1)));
}

function capped(policy: RetryPolicy, delayNs: bigint): bigint {
  const cap = policy.maxRestartDelayNs;
  return cap !== undefined && delayNs > cap ? cap : delayNs;
}

/** Whole nanoseconds; growth without a cap saturates at the longest duration instead of overflowing. */
function toDelayNs(ns: number): bigint {
  if (!(ns < Number(MAX_DELAY_NS))) return MAX_DELAY_NS;
  return BigInt(Math.max(0, Math.round(ns)));
}
