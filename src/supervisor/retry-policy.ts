/**
 * When and how often a task is restarted after it exits on its own. Durations are kept in
 * nanoseconds (bigint) so that what a client sent reads back exactly in Go's canonical form.
 */
export interface RetryPolicy {
  /** Wait before a restart; 0 restarts at once. */
  readonly restartDelayNs: bigint;
  /** Exits older than this no longer count; 0 counts every exit since the last reset. */
  readonly errorWindowNs: bigint;
  /** Exits within the window that put the task into `errored`; 0 or less never does. */
  readonly errorThreshold: number;
}

export const NO_DELAY_POLICY: RetryPolicy = { restartDelayNs: 0n, errorWindowNs: 0n, errorThreshold: 0 };

/** What the policy says about an exit that just happened. */
export type RetryDecision =
  | { readonly action: 'give-up'; readonly exitCount: number }
  | { readonly action: 'restart'; readonly exitCount: number };

export function decideAfterExit(policy: RetryPolicy, exitCount: number): RetryDecision {
  if (policy.errorThreshold > 0 && exitCount >= policy.errorThreshold)
    return { action: 'give-up', exitCount };
  return { action: 'restart', exitCount };
}
