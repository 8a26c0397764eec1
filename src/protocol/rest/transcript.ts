import Type, { type Static } from 'typebox';

/**
 * A session's transcript: what was said and done in its conversation, read from what Claude Code
 * writes in structure (the transcript JSONL of an interactive CLI, the stream-json of a headless
 * run), never from the screen. One entry per prompt, reply, tool call, tool result or error.
 */

export const TranscriptKind = Type.Union([
  Type.Literal('user'),
  Type.Literal('assistant'),
  Type.Literal('tool_use'),
  Type.Literal('tool_result'),
  Type.Literal('error'),
  Type.Literal('system'),
]);
export type TranscriptKind = Static<typeof TranscriptKind>;

/** Tokens of one API call (an assistant message), as the Messages API reported them. */
export const TokenUsage = Type.Object({
  inputTokens: Type.Integer(),
  outputTokens: Type.Integer(),
  cacheReadTokens: Type.Integer(),
  cacheWriteTokens: Type.Integer(),
});
export type TokenUsage = Static<typeof TokenUsage>;

export const TranscriptEntry = Type.Object({
  /** Per session, from 1, in order; `?after=` pages by it. */
  seq: Type.Integer({ minimum: 1 }),
  ts: Type.Number({ description: 'epoch ms' }),
  /** The prompt this entry answers: the session's user prompts counted from 1 (0 before the first). */
  turn: Type.Integer({ minimum: 0 }),
  kind: TranscriptKind,
  text: Type.Optional(Type.String()),
  /** tool_use: the tool's name; tool_result: the name of the call it answers, when known. */
  tool: Type.Optional(Type.String()),
  /** tool_use / tool_result: the id that pairs a call with its result. */
  toolUseId: Type.Optional(Type.String()),
  /** tool_use: the tool's input (JSON; a long one is cut to a string). */
  input: Type.Optional(Type.Unknown()),
  /** tool_result: what the tool returned, as text. */
  output: Type.Optional(Type.String()),
  isError: Type.Optional(Type.Boolean()),
  /** assistant / tool_use: the tokens of the API call that produced it (once per call). */
  usage: Type.Optional(TokenUsage),
  model: Type.Optional(Type.String()),
});
export type TranscriptEntry = Static<typeof TranscriptEntry>;

/** An entry before the session numbers it. */
export type TranscriptDraft = Omit<TranscriptEntry, 'seq' | 'turn'>;

/** `GET /api/sessions/:id/transcript?after=&limit=`. */
export const TranscriptPage = Type.Object({
  entries: Type.Array(TranscriptEntry),
  /** Pass as `after` for the next page (the last entry's seq, or `after` itself when none). */
  nextAfter: Type.Integer({ minimum: 0 }),
  hasMore: Type.Boolean(),
  /** The oldest seq still kept (older entries were trimmed); 0 when there are none. */
  firstSeq: Type.Integer({ minimum: 0 }),
});
export type TranscriptPage = Static<typeof TranscriptPage>;

/** Most entries on one page of the transcript, and the default. */
export const TRANSCRIPT_PAGE_MAX = 1_000;
export const TRANSCRIPT_PAGE_DEFAULT = 200;

/** The query string (strings, as the API does not coerce types: parsed by the route). */
export const TranscriptQuery = Type.Object({
  after: Type.Optional(
    Type.String({ pattern: '^[0-9]{1,15}$', description: 'entries after this seq (default 0)' }),
  ),
  limit: Type.Optional(
    Type.String({
      pattern: '^[0-9]{1,4}$',
      description: `entries per page, 1 to ${TRANSCRIPT_PAGE_MAX} (default ${TRANSCRIPT_PAGE_DEFAULT})`,
    }),
  ),
});
