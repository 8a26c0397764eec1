import Type, { type Static } from 'typebox';

/** Stable error codes of the REST API; tests and clients match on these, not on the prose. */
export const ApiErrorCode = {
  BAD_REQUEST: 'BAD_REQUEST',
  INVALID_JSON: 'INVALID_JSON',
  BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  HOST_NOT_ALLOWED: 'HOST_NOT_ALLOWED',
  ORIGIN_NOT_ALLOWED: 'ORIGIN_NOT_ALLOWED',
  NOT_FOUND: 'NOT_FOUND',
  SESSION_NOT_FOUND: 'SESSION_NOT_FOUND',
  CASE_NOT_FOUND: 'CASE_NOT_FOUND',
  CASE_EXISTS: 'CASE_EXISTS',
  INVALID_CASE_NAME: 'INVALID_CASE_NAME',
  INVALID_PATH: 'INVALID_PATH',
  NOT_INTERACTIVE: 'NOT_INTERACTIVE',
  SESSION_BUSY: 'SESSION_BUSY',
  SESSION_LIMIT: 'SESSION_LIMIT',
  CLAUDE_NOT_FOUND: 'CLAUDE_NOT_FOUND',
  SPAWN_FAILED: 'SPAWN_FAILED',
  RUN_FAILED: 'RUN_FAILED',
  INTERNAL: 'INTERNAL',
} as const;
export type ApiErrorCode = (typeof ApiErrorCode)[keyof typeof ApiErrorCode];

export const ApiErrorBody = Type.Object({
  success: Type.Literal(false),
  error: Type.String(),
  code: Type.String(),
});
export type ApiErrorBody = Static<typeof ApiErrorBody>;
