import type { ApiErrorCode } from '../../protocol/errors.js';

/** An expected failure of the task queue or the Ralph loop: a value with a stable code, never a throw. */
export interface Failure {
  readonly ok: false;
  readonly code: ApiErrorCode;
  readonly message: string;
}

export type Result<T = object> = ({ readonly ok: true } & T) | Failure;

export function failure(code: ApiErrorCode, message: string): Failure {
  return { ok: false, code, message };
}
