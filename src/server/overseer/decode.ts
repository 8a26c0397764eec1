import type { IncomingMessage } from '../../protocol/overseer/messages.js';
import {
  RETRY_POLICY_FIELDS,
  type RetryPolicy,
  type RetryPolicyField,
} from '../../protocol/overseer/retry-policy.js';
import { acceptRetryPolicy } from '../../supervisor/retry/policy-validation.js';
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

/**
 * `retry_policy` by the protocol's field map: each value by Go's rules for its type (the original's
 * three are zero when absent), then the engine's acceptRetryPolicy. What the engine refuses fails the
 * frame like a wrong type does (`invalid JSON`: the decoder has no other way to refuse a field).
 */
function retryPolicyField(value: unknown): RetryPolicy | null {
  if (value === null || value === undefined) return null;
  if (!isObject(value)) throw new WrongType();
  const fields = foldKeys(value);
  const requested: Record<string, unknown> = { restartDelayNs: 0n, errorWindowNs: 0n, errorThreshold: 0 };
  for (const spec of RETRY_POLICY_FIELDS) {
    const parsed = policyValue(spec.kind, fields[spec.key]);
    if (parsed !== undefined) requested[spec.field] = parsed;
  }
  const policy = acceptRetryPolicy(requested as unknown as RetryPolicy);
  if (policy === null) throw new WrongType();
  return policy;
}

/** One retry-policy value as Go's encoding/json types it; undefined when absent (null). */
function policyValue(kind: RetryPolicyField['kind'], value: unknown): bigint | number | number[] | undefined {
  if (value === null || value === undefined) return undefined;
  switch (kind) {
    case 'duration':
      return durationField(value);
    case 'int':
      return intField(value);
    case 'number':
      if (typeof value !== 'number') throw new WrongType();
      return value;
    case 'exit-codes':
      if (!Array.isArray(value)) throw new WrongType();
      // An exit code is a Go int; a null in the list is refused, not read as 0.
      return value.map((item) => {
        if (item === null) throw new WrongType();
        return intField(item);
      });
  }
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
