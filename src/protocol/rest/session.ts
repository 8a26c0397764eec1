import Type, { type Static } from 'typebox';
import { Nullable } from './nullable.js';

/**
 * Wire shapes of Claude Code sessions, defined once: the server validates and documents (OpenAPI)
 * with these schemas, the engine builds values of their types, the browser reads the same types.
 */

export const SessionStatus = Type.Union([
  Type.Literal('idle'),
  Type.Literal('busy'),
  Type.Literal('stopped'),
  Type.Literal('error'),
]);
export type SessionStatus = Static<typeof SessionStatus>;

export const SessionMode = Type.Union([
  Type.Literal('none'),
  Type.Literal('oneshot'),
  Type.Literal('interactive'),
]);
export type SessionMode = Static<typeof SessionMode>;

/** How the CLI is allowed to act without asking (the seed ran everything with skip-permissions). */
export const PermissionMode = Type.Union([
  Type.Literal('skip'),
  Type.Literal('default'),
  Type.Literal('acceptEdits'),
  Type.Literal('plan'),
  Type.Literal('bypassPermissions'),
]);
export type PermissionMode = Static<typeof PermissionMode>;

export const BufferStats = Type.Object({
  terminalBytes: Type.Integer(),
  terminalLimit: Type.Integer(),
  textBytes: Type.Integer(),
  textLimit: Type.Integer(),
  messages: Type.Integer(),
  messagesLimit: Type.Integer(),
});
export type BufferStats = Static<typeof BufferStats>;

export const SessionAttention = Type.Object({
  /**
   * `permission`: a tool use waits for approval; `idle`: the agent waits for input; `input`: the
   * agent asked a question (a dialog) and waits for the answer; `stuck_input`: a submitted prompt was
   * not taken by the CLI within 10 s (a menu or dialog may hold it; `message` quotes the screen).
   */
  kind: Type.Union([
    Type.Literal('permission'),
    Type.Literal('idle'),
    Type.Literal('input'),
    Type.Literal('stuck_input'),
  ]),
  message: Type.String(),
  since: Type.Number(),
});
export type SessionAttention = Static<typeof SessionAttention>;

/**
 * Where an interactive session's terminal runs: `tmux` (its own session on the data directory's tmux
 * server, so it survives a restart or crash of Claudeman) or `pty` (a plain PTY that dies with it).
 */
export const TerminalHost = Type.Union([Type.Literal('tmux'), Type.Literal('pty')]);
export type TerminalHost = Static<typeof TerminalHost>;

/**
 * What the agent is doing, from structure (hooks, the transcript, the status line, the process), never
 * from what a viewer's terminal shows. `status` (the seed's) stays beside it for compatibility.
 */
export const SessionAgentState = Type.Union([
  Type.Literal('starting'),
  Type.Literal('working'),
  Type.Literal('waiting'),
  Type.Literal('needs_permission'),
  Type.Literal('needs_input'),
  Type.Literal('limited'),
  Type.Literal('errored'),
  Type.Literal('exited'),
]);
export type SessionAgentState = Static<typeof SessionAgentState>;

/** What the session's agent spent: USD and the tokens of its API calls, over all its runs. */
export const SessionCost = Type.Object({
  totalUsd: Type.Number(),
  inputTokens: Type.Integer(),
  outputTokens: Type.Integer(),
  cacheReadTokens: Type.Integer(),
  cacheWriteTokens: Type.Integer(),
});
export type SessionCost = Static<typeof SessionCost>;

/** One usage window of a subscription plan, as the CLI's status line reports it. */
export const RateLimitWindow = Type.Object({
  /** Share of the window's allowance used (0–100; 100 or more: the limit is reached). */
  usedPct: Type.Number(),
  /** When the window resets (epoch ms), when reported. */
  resetsAt: Nullable(Type.Number({ description: 'epoch ms' })),
});
export type RateLimitWindow = Static<typeof RateLimitWindow>;

/** A subscription plan's usage limits (the 5-hour and the 7-day window), the latest the CLI reported. */
export const SessionRateLimits = Type.Object({
  fiveHour: Type.Optional(RateLimitWindow),
  sevenDay: Type.Optional(RateLimitWindow),
});
export type SessionRateLimits = Static<typeof SessionRateLimits>;

export const SessionInfo = Type.Object({
  id: Type.String({ format: 'uuid' }),
  pid: Nullable(Type.Integer()),
  status: SessionStatus,
  mode: SessionMode,
  workingDir: Type.String(),
  currentTaskId: Nullable(Type.String()),
  createdAt: Type.Number({ description: 'epoch ms' }),
  lastActivityAt: Type.Number({ description: 'epoch ms' }),
  claudeSessionId: Nullable(Type.String()),
  totalCost: Type.Number({ description: 'USD over all runs (= cost.totalUsd)' }),
  messageCount: Type.Integer(),
  isWorking: Type.Boolean(),
  lastPromptTime: Nullable(Type.Number()),
  permissionMode: PermissionMode,
  /** Why the session is in `error` (or how its last run failed). */
  lastError: Nullable(Type.String()),
  exitCode: Nullable(Type.Integer()),
  /** Set when the agent needs a person (a Claude Code hook said so); cleared by new input or work. */
  attention: Nullable(SessionAttention),
  /** Null until the session first ran interactively. */
  terminalHost: Nullable(TerminalHost),
  bufferStats: BufferStats,
  state: SessionAgentState,
  stateSince: Type.Number({ description: 'epoch ms' }),
  /** What moved the session into its state (e.g. "Stop hook", the error text). */
  stateReason: Nullable(Type.String()),
  /** When `limited`: when the usage limit resets (epoch ms), when known. */
  limitedUntil: Nullable(Type.Number()),
  cost: SessionCost,
  /**
   * Share of the model's context window the conversation uses (0–100): the CLI's status line's figure,
   * else estimated from the transcript against a 200k window.
   */
  contextUsedPct: Nullable(Type.Number()),
  /** The model: the CLI's status line's, else that of the last API call. */
  model: Nullable(Type.String()),
  /** The session stops its agent once `cost.totalUsd` reaches this (USD); null: no budget. */
  maxCostUsd: Nullable(Type.Number()),
  /** Usage limits of the plan (subscriptions only), once the CLI's status line reported them. */
  rateLimits: Type.Optional(SessionRateLimits),
});
export type SessionInfo = Static<typeof SessionInfo>;

/** `POST /api/sessions` (201). */
export const CreatedSessionReply = Type.Object({ success: Type.Literal(true), session: SessionInfo });

/** `GET /api/sessions/:id/output`: what the CLI printed, as text, parsed messages and stderr. */
export const SessionOutput = Type.Object({
  textOutput: Type.String(),
  /** The CLI's stream-json messages as it sent them (the most recent ones, bounded). */
  messages: Type.Array(Type.Unknown()),
  errorBuffer: Type.String(),
});
export type SessionOutput = Static<typeof SessionOutput>;

/** `GET /api/sessions/:id/terminal`: the terminal history (bounded) and the session's status. */
export const SessionTerminal = Type.Object({ terminalBuffer: Type.String(), status: SessionStatus });
export type SessionTerminal = Static<typeof SessionTerminal>;

/** `POST /api/run`: the outcome of a prompt run in a fresh session (removed afterwards). */
export const QuickRunReply = Type.Object({
  success: Type.Literal(true),
  sessionId: Type.String(),
  result: Type.String(),
  cost: Type.Number({ description: 'USD' }),
});
export type QuickRunReply = Static<typeof QuickRunReply>;
