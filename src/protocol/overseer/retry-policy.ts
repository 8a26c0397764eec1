import { formatGoDuration, parseGoDuration } from '../../util/go-duration.js';
import type { Writable } from '../../util/writable.js';

/**
 * A supervised task's retry policy: what a client sends in `start`, reads back in TaskInfo, and what
 * the store keeps. Durations are nanoseconds (bigint) so that what a client sent reads back exactly in
 * Go's canonical form. What the fields mean, and which values the engine accepts, is the engine's
 * (supervisor/retry/).
 *
 * The first three fields are the original protocol's. The optional ones are opt-in extensions that
 * old clients never send; each is left out (undefined) when absent or set to its neutral value, so a
 * policy without them behaves, persists and encodes exactly as before.
 */
export interface RetryPolicy {
  /** Wait before a restart; 0 restarts at once. */
  readonly restartDelayNs: bigint;
  /** Exits older than this no longer count; 0 counts every exit since the last reset. */
  readonly errorWindowNs: bigint;
  /** Exits within the window that put the task into `errored`; 0 or less never does. */
  readonly errorThreshold: number;
  /** Growth of the delay per consecutive restart (> 1); absent = no growth. */
  readonly backoffMultiplier?: number;
  /** Upper bound of any restart delay (> 0); absent = unbounded. */
  readonly maxRestartDelayNs?: bigint;
  /** Each delay is randomised by ± this fraction (0 < j ≤ 1); absent = exact delays. */
  readonly jitter?: number;
  /** A worker that ran at least this long (> 0) resets the growth; absent = never. */
  readonly resetAfterNs?: bigint;
  /** Exit codes that end the run for good (no restart); non-empty when present. */
  readonly noRestartExitCodes?: readonly number[];
  /** Exit codes that always restart and never count toward the threshold; non-empty when present. */
  readonly alwaysRestartExitCodes?: readonly number[];
}

/** The `retry_policy` object as JSON (on `/ws` and in the store's column): Go duration strings. */
export interface WireRetryPolicy {
  readonly restart_delay?: string;
  readonly error_window?: string;
  readonly error_threshold?: number;
  readonly backoff_multiplier?: number;
  readonly max_restart_delay?: string;
  readonly jitter?: number;
  readonly reset_after?: string;
  readonly no_restart_exit_codes?: readonly number[];
  readonly always_restart_exit_codes?: readonly number[];
}

type FieldsOfType<V> = {
  [F in keyof RetryPolicy]-?: NonNullable<RetryPolicy[F]> extends V ? F : never;
}[keyof RetryPolicy];

/**
 * One field: its wire key, its name in RetryPolicy, and how its value is written — a Go duration
 * string, a Go int, a JSON number (Go's float64), or a list of exit codes. `original` marks the
 * original protocol's three keys, which Go's omitempty left out when zero.
 */
export type RetryPolicyField =
  | FieldOf<'duration', FieldsOfType<bigint>>
  | FieldOf<'int' | 'number', FieldsOfType<number>>
  | FieldOf<'exit-codes', FieldsOfType<readonly number[]>>;

interface FieldOf<Kind, Field> {
  readonly key: keyof WireRetryPolicy;
  readonly field: Field;
  readonly kind: Kind;
  readonly original: boolean;
}

/** The one map between the wire's keys and RetryPolicy's fields, in the order the keys are written. */
export const RETRY_POLICY_FIELDS: readonly RetryPolicyField[] = [
  { key: 'restart_delay', field: 'restartDelayNs', kind: 'duration', original: true },
  { key: 'error_window', field: 'errorWindowNs', kind: 'duration', original: true },
  { key: 'error_threshold', field: 'errorThreshold', kind: 'int', original: true },
  { key: 'backoff_multiplier', field: 'backoffMultiplier', kind: 'number', original: false },
  { key: 'max_restart_delay', field: 'maxRestartDelayNs', kind: 'duration', original: false },
  { key: 'jitter', field: 'jitter', kind: 'number', original: false },
  { key: 'reset_after', field: 'resetAfterNs', kind: 'duration', original: false },
  { key: 'no_restart_exit_codes', field: 'noRestartExitCodes', kind: 'exit-codes', original: false },
  { key: 'always_restart_exit_codes', field: 'alwaysRestartExitCodes', kind: 'exit-codes', original: false },
];

/**
 * The policy as JSON, keys in the map's order, each extension only when set. `omitEmpty` leaves out
 * the original's keys when zero, as the original's encoder did on `/ws`; the store keeps them.
 */
export function retryPolicyToWire(policy: RetryPolicy, options: { omitEmpty: boolean }): WireRetryPolicy {
  const wire: Record<string, string | number | readonly number[]> = {};
  for (const spec of RETRY_POLICY_FIELDS) {
    const value = policy[spec.field];
    if (value === undefined) continue;
    if (options.omitEmpty && spec.original && (value === 0n || value === 0)) continue;
    wire[spec.key] = typeof value === 'bigint' ? formatGoDuration(value) : value;
  }
  return wire as WireRetryPolicy;
}

/**
 * A policy from JSON this program wrote itself (the store's column): no checks beyond Go's duration
 * syntax. Rows written before the extensions existed lack their keys and read as a plain policy.
 * What a client sends is decoded by the overseer face instead, with Go's rules and the engine's.
 */
export function retryPolicyFromStored(wire: WireRetryPolicy): RetryPolicy {
  const policy: Partial<Writable<Record<keyof RetryPolicy, unknown>>> = {};
  for (const spec of RETRY_POLICY_FIELDS) {
    const value = wire[spec.key];
    if (value === undefined) continue;
    policy[spec.field] = typeof value === 'string' ? parseGoDuration(value) : value;
  }
  return policy as unknown as RetryPolicy;
}
