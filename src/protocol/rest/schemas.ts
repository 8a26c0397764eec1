import Type from 'typebox';
import type { LimitReason } from '../../util/limit-reasons.js';
import { MAX_PROMPT_CHARS, MAX_TERMINAL_COLS, MAX_TERMINAL_ROWS } from '../limits.js';
import { CASE_NAME_PATTERN } from './cases.js';
import { PermissionMode } from './session.js';

/** Request bodies of the REST API, validated by Fastify and documented in the OpenAPI document. */

/** Most input per request to an interactive session (characters): 64 KiB. */
export const MAX_INPUT_CHARS = 64 * 1024;
export const MAX_INPUT_CHARS_REASON: LimitReason = {
  metric: 'input_chars',
  reason: 'Most input per request to an interactive session (400 beyond): keystrokes, not files.',
};
/** Longest path accepted (characters): PATH_MAX on Linux. */
const MAX_PATH_CHARS = 4096;
/** Longest run timeout a client may ask for (ms): one day. */
const MAX_TIMEOUT_MS = 24 * 60 * 60 * 1000;

const Prompt = Type.String({ minLength: 1, maxLength: MAX_PROMPT_CHARS });
const WorkingDir = Type.String({ minLength: 1, maxLength: MAX_PATH_CHARS });
const TimeoutMs = Type.Integer({ minimum: 1_000, maximum: MAX_TIMEOUT_MS });

export const SessionIdParams = Type.Object({ id: Type.String({ maxLength: 200 }) });
export const CaseNameParams = Type.Object({ name: Type.String({ maxLength: 200 }) });

export const CreateSessionBody = Type.Object(
  {
    workingDir: Type.Optional(WorkingDir),
    permissionMode: Type.Optional(PermissionMode),
    /** The session's own budget (USD): its agent is stopped once `cost.totalUsd` reaches it. */
    maxCostUsd: Type.Optional(
      Type.Union([Type.Number({ exclusiveMinimum: 0, maximum: 1_000_000 }), Type.Null()]),
    ),
  },
  { additionalProperties: true },
);

export const RunBody = Type.Object({
  prompt: Prompt,
  permissionMode: Type.Optional(PermissionMode),
  timeoutMs: Type.Optional(TimeoutMs),
  /**
   * Continue the session's last conversation (`claude -p --resume <claudeSessionId>`) instead of
   * starting a new one; 409 NOTHING_TO_RESUME when it has none yet.
   */
  continue: Type.Optional(Type.Boolean()),
});

export const InteractiveBody = Type.Object({
  cols: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_TERMINAL_COLS })),
  rows: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_TERMINAL_ROWS })),
  permissionMode: Type.Optional(PermissionMode),
  /**
   * Continue the session's last conversation (`claude --resume <claudeSessionId>`): what a session
   * whose terminal died with the server (no tmux) is offered after a restart.
   */
  resume: Type.Optional(Type.Boolean()),
});

export const InputBody = Type.Object({ input: Type.String({ minLength: 1, maxLength: MAX_INPUT_CHARS }) });

export const ResizeBody = Type.Object({
  cols: Type.Integer({ minimum: 1, maximum: MAX_TERMINAL_COLS }),
  rows: Type.Integer({ minimum: 1, maximum: MAX_TERMINAL_ROWS }),
});

export const CreateCaseBody = Type.Object({
  // The name's pattern is checked by the case store, so that a bad name gets INVALID_CASE_NAME
  // whichever route it comes through.
  name: Type.String({ maxLength: 200, description: `must match ${CASE_NAME_PATTERN}` }),
  description: Type.Optional(Type.String({ maxLength: 2_000 })),
});

export const QuickRunBody = Type.Object({
  prompt: Prompt,
  workingDir: Type.Optional(WorkingDir),
  permissionMode: Type.Optional(PermissionMode),
  timeoutMs: Type.Optional(TimeoutMs),
});

export const EventsQuery = Type.Object({
  sessions: Type.Optional(Type.String({ maxLength: 10_000 })),
  /** Event types left out of the stream, comma-separated (e.g. a session's terminal output). */
  exclude: Type.Optional(Type.String({ maxLength: 10_000 })),
  lastEventId: Type.Optional(Type.String({ maxLength: 20 })),
  token: Type.Optional(Type.String()),
});
