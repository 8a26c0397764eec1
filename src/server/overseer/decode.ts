import type { IncomingMessage } from '../../protocol/overseer/messages.js';
import {
  MAX_EXIT_CODE,
  MAX_JITTER,
  MIN_BACKOFF_MULTIPLIER,
  MIN_EXIT_CODE,
  type RetryPolicy,
} from '../../supervisor/retry/retry-policy.js';
import { InvalidDurationError, parseGoDuration } from '../../util/go-duration.js';

/**
 * Decodes one frame the way Go's encoding/json filled the original's IncomingMessage: keys matched
 * case-insensitively (last one wins), unknown keys ignored, null means "absent", and a value of the
 * wrong type or an unparsable duration fails the whole frame with `invalid JSON`.
 */
export type DecodeResult =
  | { readonly ok: true; readonly message: IncomingMessage }
  | { readonly ok: false; readonly id: string };

class WrongType extends Error {}

type Fields = Record<string, unknown>;

function stringField(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'string') throw new WrongType();
  return value;
}

function argsField(value: unknown): string[] | null {
  if (value === null || value === undefined) return null;
  if (!Array.isArray(value)) throw new WrongType();
  return value.map(stringField);
}

function durationField(value: unknown): bigint {
  const text = stringField(value);
  if (text === '') return 0n;
  try {
    return parseGoDuration(text);
  } catch (error) {
    if (error instanceof InvalidDurationError) throw new WrongType();
    throw error;
  }
}

/** Go's int: a whole number within int64 range. */
function intField(value: unknown): number {
  if (value === null || value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new WrongType();
  return value;
}

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Lower-cases the keys so that `Type` fills `type`, as Go's case-insensitive match did; for repeated
 * names the later key wins, as in Go. A null-prototype object keeps a `__proto__` key inert.
 */
function foldKeys(fields: Fields): Fields {
  const keys = Object.keys(fields);
  if (keys.every((key) => key === key.toLowerCase())) return fields;
  const folded: Fields = Object.create(null) as Fields;
  for (const key of keys) folded[key.toLowerCase()] = fields[key];
  return folded;
}

function retryPolicyField(value: unknown): RetryPolicy | null {
  if (value === null || value === undefined) return null;
  if (!isObject(value)) throw new WrongType();
  const fields = foldKeys(value);
  return {
    restartDelayNs: durationField(fields.restart_delay),
    errorWindowNs: durationField(fields.error_window),
    errorThreshold: intField(fields.error_threshold),
    ...retryExtensions(fields),
  };
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };
type RetryExtensions = Writable<Omit<RetryPolicy, 'restartDelayNs' | 'errorWindowNs' | 'errorThreshold'>>;

/**
 * The opt-in `retry_policy` extensions. Out-of-range values fail the frame like a wrong type does
 * (`invalid JSON`: the decoder has no other way to refuse a field). A neutral value (multiplier 1,
 * zero duration, zero jitter, empty list) is dropped, as Go's omitempty drops the original's zero
 * fields: the policy then stays plain and reads back, persists and behaves exactly as before.
 */
function retryExtensions(fields: Fields): RetryExtensions {
  const out: RetryExtensions = {};
  const multiplier = boundedNumberField(fields.backoff_multiplier, MIN_BACKOFF_MULTIPLIER, Infinity);
  if (multiplier !== null && multiplier !== MIN_BACKOFF_MULTIPLIER) out.backoffMultiplier = multiplier;
  const maxDelay = positiveDurationField(fields.max_restart_delay);
  if (maxDelay !== null) out.maxRestartDelayNs = maxDelay;
  const jitter = boundedNumberField(fields.jitter, 0, MAX_JITTER);
  if (jitter !== null && jitter !== 0) out.jitter = jitter;
  const resetAfter = positiveDurationField(fields.reset_after);
  if (resetAfter !== null) out.resetAfterNs = resetAfter;
  const noRestart = exitCodesField(fields.no_restart_exit_codes);
  if (noRestart.length > 0) out.noRestartExitCodes = noRestart;
  const alwaysRestart = exitCodesField(fields.always_restart_exit_codes);
  if (alwaysRestart.length > 0) out.alwaysRestartExitCodes = alwaysRestart;
  // One code cannot both end the task and always restart it: refuse the contradiction.
  if (noRestart.some((code) => alwaysRestart.includes(code))) throw new WrongType();
  return out;
}

/** A JSON number within [min, max]; null when absent. */
function boundedNumberField(value: unknown, min: number, max: number): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'number' || !(value >= min && value <= max)) throw new WrongType();
  return value;
}

/** A duration that must not be negative; null when absent or zero (zero means "not set"). */
function positiveDurationField(value: unknown): bigint | null {
  const ns = durationField(value);
  if (ns < 0n) throw new WrongType();
  return ns === 0n ? null : ns;
}

/** Distinct exit codes in the order given; each must be one an exit can report (-1..255). */
function exitCodesField(value: unknown): number[] {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) throw new WrongType();
  const codes: number[] = [];
  for (const item of value) {
    const code = intField(item);
    if (item === null || code < MIN_EXIT_CODE || code > MAX_EXIT_CODE) throw new WrongType();
    if (!codes.includes(code)) codes.push(code);
  }
  return codes;
}

export function decodeMessage(text: string): DecodeResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, id: '' };
  }
  if (parsed === null) {
    // Go decodes `null` into a struct as a no-op: every field zero, so the type is unknown.
    return { ok: true, message: emptyMessage() };
  }
  if (!isObject(parsed)) return { ok: false, id: '' };
  const fields = foldKeys(parsed);
  try {
    return {
      ok: true,
      message: {
        type: stringField(fields.type),
        id: stringField(fields.id),
        taskId: stringField(fields.task_id),
        command: stringField(fields.command),
        args: argsField(fields.args),
        retryPolicy: retryPolicyField(fields.retry_policy),
        since: stringField(fields.since),
      },
    };
  } catch (error) {
    if (!(error instanceof WrongType)) throw error;
    // Go filled the fields it could before reporting the first type error: keep a valid id.
    return { ok: false, id: typeof fields.id === 'string' ? fields.id : '' };
  }
}

function emptyMessage(): IncomingMessage {
  return { type: '', id: '', taskId: '', command: '', args: null, retryPolicy: null, since: '' };
}
