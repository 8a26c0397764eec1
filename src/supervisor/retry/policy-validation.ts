import type { RetryPolicy } from '../../protocol/overseer/retry-policy.js';
import type { Writable } from '../../util/writable.js';

/** A multiplier below 1 would shrink the delay with every failure: the opposite of a backoff. */
export const MIN_BACKOFF_MULTIPLIER = 1;
/** Jitter is a fraction of the delay; above 1 a delay could turn negative. */
export const MAX_JITTER = 1;
/** Exit codes a policy may name: -1 (ended by a signal, the protocol's value) and 0..255 (exit status). */
export const MIN_EXIT_CODE = -1;
export const MAX_EXIT_CODE = 255;

/**
 * The policy the engine runs for one a client asked for, or null when it refuses it: an extension out
 * of range (a multiplier below 1, jitter outside [0, 1], a negative duration, an exit code no exit can
 * report) or one exit code both ending the task and always restarting it.
 *
 * A neutral extension (multiplier 1, zero duration, zero jitter, empty list) is dropped, as Go's
 * omitempty drops the original's zero fields: the policy then stays plain and reads back, persists
 * and behaves exactly as before. Exit codes are kept once each, in the order given.
 */
export function acceptRetryPolicy(requested: RetryPolicy): RetryPolicy | null {
  const { restartDelayNs, errorWindowNs, errorThreshold } = requested;
  const policy: Writable<RetryPolicy> = { restartDelayNs, errorWindowNs, errorThreshold };
  const multiplier = requested.backoffMultiplier;
  if (multiplier !== undefined) {
    if (!(multiplier >= MIN_BACKOFF_MULTIPLIER)) return null;
    if (multiplier !== MIN_BACKOFF_MULTIPLIER) policy.backoffMultiplier = multiplier;
  }
  const maxDelay = requested.maxRestartDelayNs;
  if (maxDelay !== undefined && maxDelay < 0n) return null;
  if (maxDelay) policy.maxRestartDelayNs = maxDelay;
  const jitter = requested.jitter;
  if (jitter !== undefined) {
    if (!(jitter >= 0 && jitter <= MAX_JITTER)) return null;
    if (jitter !== 0) policy.jitter = jitter;
  }
  const resetAfter = requested.resetAfterNs;
  if (resetAfter !== undefined && resetAfter < 0n) return null;
  if (resetAfter) policy.resetAfterNs = resetAfter;
  const noRestart = distinctExitCodes(requested.noRestartExitCodes);
  const alwaysRestart = distinctExitCodes(requested.alwaysRestartExitCodes);
  if (noRestart === null || alwaysRestart === null) return null;
  if (noRestart.length > 0) policy.noRestartExitCodes = noRestart;
  if (alwaysRestart.length > 0) policy.alwaysRestartExitCodes = alwaysRestart;
  // One code cannot both end the task and always restart it: refuse the contradiction.
  if (noRestart.some((code) => alwaysRestart.includes(code))) return null;
  return policy;
}

/** Distinct exit codes in the order given; null when one is not a code an exit can report (-1..255). */
function distinctExitCodes(codes: readonly number[] | undefined): number[] | null {
  const out: number[] = [];
  for (const code of codes ?? []) {
    if (code < MIN_EXIT_CODE || code > MAX_EXIT_CODE) return null;
    if (!out.includes(code)) out.push(code);
  }
  return out;
}
