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
  NOTHING_TO_RESUME: 'NOTHING_TO_RESUME',
  SESSION_LIMIT: 'SESSION_LIMIT',
  TOO_MANY_CLIENTS: 'TOO_MANY_CLIENTS',
  CLAUDE_NOT_FOUND: 'CLAUDE_NOT_FOUND',
  SPAWN_FAILED: 'SPAWN_FAILED',
  RUN_FAILED: 'RUN_FAILED',
  INTERNAL: 'INTERNAL',
  SCHEDULED_RUN_NOT_FOUND: 'SCHEDULED_RUN_NOT_FOUND',
  SCHEDULED_RUN_LIMIT: 'SCHEDULED_RUN_LIMIT',
  RESPAWN_NOT_FOUND: 'RESPAWN_NOT_FOUND',
  RESPAWN_NOT_RUNNING: 'RESPAWN_NOT_RUNNING',
  INVALID_RESPAWN_CONFIG: 'INVALID_RESPAWN_CONFIG',
  TASK_NOT_FOUND: 'TASK_NOT_FOUND',
  TASK_EXISTS: 'TASK_EXISTS',
  TASK_RUNNING: 'TASK_RUNNING',
  TASK_HAS_DEPENDENTS: 'TASK_HAS_DEPENDENTS',
  TASK_LIMIT: 'TASK_LIMIT',
  INVALID_TASK: 'INVALID_TASK',
  DEPENDENCY_NOT_FOUND: 'DEPENDENCY_NOT_FOUND',
  DEPENDENCY_CYCLE: 'DEPENDENCY_CYCLE',
  DEPENDENCY_FAILED: 'DEPENDENCY_FAILED',
  RALPH_RUNNING: 'RALPH_RUNNING',
  RALPH_NOT_RUNNING: 'RALPH_NOT_RUNNING',
  STORAGE_FULL: 'STORAGE_FULL',
  STORAGE_UNAVAILABLE: 'STORAGE_UNAVAILABLE',
  INVALID_LIMIT: 'INVALID_LIMIT',
  INVALID_CURSOR: 'INVALID_CURSOR',
  NOT_A_REPOSITORY: 'NOT_A_REPOSITORY',
  DETACHED_HEAD: 'DETACHED_HEAD',
  BASE_NOT_FOUND: 'BASE_NOT_FOUND',
  INVALID_BRANCH: 'INVALID_BRANCH',
  BRANCH_EXISTS: 'BRANCH_EXISTS',
  BRANCH_NOT_FOUND: 'BRANCH_NOT_FOUND',
  BRANCH_CHECKED_OUT: 'BRANCH_CHECKED_OUT',
  UNCOMMITTED_CHANGES: 'UNCOMMITTED_CHANGES',
  WORKTREE_MISSING: 'WORKTREE_MISSING',
  WORKTREE_NOT_FOUND: 'WORKTREE_NOT_FOUND',
  INVALID_REPO_CONFIG: 'INVALID_REPO_CONFIG',
  GIT_NOT_FOUND: 'GIT_NOT_FOUND',
  GIT_TIMEOUT: 'GIT_TIMEOUT',
  GIT_FAILED: 'GIT_FAILED',
} as const;
export type ApiErrorCode = (typeof ApiErrorCode)[keyof typeof ApiErrorCode];

/**
 * The HTTP status of every code, in one place: a Record over all codes, so a new code cannot be
 * added without deciding its status.
 */
export const API_ERROR_STATUS: Readonly<Record<ApiErrorCode, number>> = {
  BAD_REQUEST: 400,
  INVALID_JSON: 400,
  BODY_TOO_LARGE: 413,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  HOST_NOT_ALLOWED: 403,
  ORIGIN_NOT_ALLOWED: 403,
  NOT_FOUND: 404,
  SESSION_NOT_FOUND: 404,
  CASE_NOT_FOUND: 404,
  CASE_EXISTS: 409,
  INVALID_CASE_NAME: 400,
  INVALID_PATH: 400,
  NOT_INTERACTIVE: 409,
  SESSION_BUSY: 409,
  /** `resume` asked of a session whose CLI never reported a conversation id. */
  NOTHING_TO_RESUME: 409,
  SESSION_LIMIT: 429,
  /** A stream refused because the server already serves its most clients of that kind. */
  TOO_MANY_CLIENTS: 503,
  CLAUDE_NOT_FOUND: 503,
  SPAWN_FAILED: 500,
  RUN_FAILED: 502,
  INTERNAL: 500,
  SCHEDULED_RUN_NOT_FOUND: 404,
  SCHEDULED_RUN_LIMIT: 429,
  RESPAWN_NOT_FOUND: 404,
  RESPAWN_NOT_RUNNING: 409,
  INVALID_RESPAWN_CONFIG: 400,
  TASK_NOT_FOUND: 404,
  TASK_EXISTS: 409,
  TASK_RUNNING: 409,
  TASK_HAS_DEPENDENTS: 409,
  TASK_LIMIT: 429,
  INVALID_TASK: 400,
  DEPENDENCY_NOT_FOUND: 400,
  DEPENDENCY_CYCLE: 400,
  DEPENDENCY_FAILED: 409,
  RALPH_RUNNING: 409,
  RALPH_NOT_RUNNING: 409,
  /** The disk holding the data directory is full (SQLITE_FULL, ENOSPC): nothing was changed. */
  STORAGE_FULL: 507,
  /** The database cannot take writes (its file was deleted or replaced; refused until restart). */
  STORAGE_UNAVAILABLE: 503,
  /** `?limit=` of a list is not an integer from 1 to its maximum. */
  INVALID_LIMIT: 400,
  /** `?cursor=` is not one this list gave out. */
  INVALID_CURSOR: 400,
  /** The working directory is not inside a git repository (or is a bare one). */
  NOT_A_REPOSITORY: 400,
  /** The repository has no current branch to start from: name a `base`. */
  DETACHED_HEAD: 409,
  /** The base branch or commit does not exist in the repository. */
  BASE_NOT_FOUND: 400,
  /** git refuses the branch name (`git check-ref-format`). */
  INVALID_BRANCH: 400,
  /** A new branch was asked for under a name that exists: reuse it, or choose another. */
  BRANCH_EXISTS: 409,
  /** `reuse` of a branch that does not exist. */
  BRANCH_NOT_FOUND: 400,
  /** The branch is checked out in another worktree (git allows one checkout per branch). */
  BRANCH_CHECKED_OUT: 409,
  /** The worktree has uncommitted changes: commit them, or pass `force`. */
  UNCOMMITTED_CHANGES: 409,
  /** The session's worktree directory is gone (deleted by hand). */
  WORKTREE_MISSING: 409,
  /** No worktree of ours at that path. */
  WORKTREE_NOT_FOUND: 404,
  /** The repository's `.claudeman.json` is not valid JSON, or its `setup` is not a command string. */
  INVALID_REPO_CONFIG: 409,
  /** git is not installed (on `PATH`). */
  GIT_NOT_FOUND: 503,
  /** A git command ran past its time limit and was ended. */
  GIT_TIMEOUT: 504,
  /** git failed in a way not foreseen; the message quotes it. */
  GIT_FAILED: 500,
};

export function isApiErrorCode(code: string): code is ApiErrorCode {
  return Object.hasOwn(API_ERROR_STATUS, code);
}

/**
 * One of the codes, as a schema: a string enum rather than a union of literals, which the reply
 * serializer would have to test branch by branch.
 */
export const ApiErrorCodeSchema = Type.Unsafe<ApiErrorCode>({
  type: 'string',
  enum: Object.values(ApiErrorCode),
});

/** The body of every error reply of the REST API (each route declares it for its 4xx and 5xx replies). */
export const ApiErrorBody = Type.Object({
  success: Type.Literal(false),
  /** For people; clients match on `code`. */
  error: Type.String(),
  code: ApiErrorCodeSchema,
  /** The files a git operation is about (UNCOMMITTED_CHANGES: the uncommitted ones). */
  files: Type.Optional(Type.Array(Type.String())),
});
export type ApiErrorBody = Static<typeof ApiErrorBody>;
