import type { ApiErrorCode } from './errors.js';

/**
 * How every engine operation answers: its value, or an expected failure with a stable code and a
 * message for people — a value, never a throw. Faces turn a failure into their wire's error (the REST
 * API's status comes from the code alone, API_ERROR_STATUS; the overseer face sends the message).
 */
export interface Failure<Code extends string = ApiErrorCode> {
  readonly ok: false;
  readonly code: Code;
  readonly message: string;
  /** The files the failure is about (a merge's conflicts, uncommitted changes), when it names any. */
  readonly files?: readonly string[];
}

export type Result<T = object, Code extends string = ApiErrorCode> =
  | ({ readonly ok: true } & T)
  | Failure<Code>;

export function failure<Code extends string>(code: Code, message: string): Failure<Code> {
  return { ok: false, code, message };
}
