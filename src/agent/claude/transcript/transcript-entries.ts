import type { TokenUsage, TranscriptDraft } from '../../../protocol/rest/transcript.js';

/**
 * What one line of Claude Code's structured output says, as transcript entries. The same shapes come
 * from both sources: the transcript JSONL an interactive CLI writes (`~/.claude/projects/…/<id>.jsonl`)
 * and the stream-json lines of a headless run — `user` and `assistant` lines carry an API message
 * (`message.content` blocks, `message.usage`, `message.model`), `system` lines the CLI's own notes.
 * Anything else (titles, snapshots, attachments, bookkeeping) says nothing a reader needs.
 */

/** Longest text kept of one entry (characters): a tool can return megabytes. */
export const ENTRY_TEXT_CHARS = 16 * 1024;

/** One API call, for cost accounting: an assistant message split over several lines has one id. */
export interface ApiCall {
  readonly messageId: string;
  readonly model: string | null;
  readonly usage: TokenUsage;
}

export interface ParsedLine {
  readonly entries: TranscriptDraft[];
  readonly call: ApiCall | null;
  /** The CLI's own marker of an API error reply (`isApiErrorMessage`, or a failed `result`). */
  readonly apiError: string | null;
  /** The CLI's class of that error (`rate_limit`, …), when it gave one. */
  readonly apiErrorKind?: string | null;
}

const NOTHING: ParsedLine = { entries: [], call: null, apiError: null };

function record(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

function cut(text: string): string {
  return text.length <= ENTRY_TEXT_CHARS ? text : `${text.slice(0, ENTRY_TEXT_CHARS)}… [cut]`;
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

export function tokenUsageOf(value: unknown): TokenUsage | null {
  const usage = record(value);
  if (usage === null) return null;
  return {
    inputTokens: count(usage.input_tokens),
    outputTokens: count(usage.output_tokens),
    cacheReadTokens: count(usage.cache_read_input_tokens),
    cacheWriteTokens: count(usage.cache_creation_input_tokens),
  };
}

/** Text of a tool result's content: a string, or text blocks (images are named, not kept). */
function resultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((block) => {
      const part = record(block);
      if (part?.type === 'text' && typeof part.text === 'string') return part.text;
      if (part?.type === 'image') return '[image]';
      return '';
    })
    .filter((text) => text !== '')
    .join('\n');
}

function inputOf(input: unknown): unknown {
  const json = JSON.stringify(input ?? null);
  return json.length <= ENTRY_TEXT_CHARS ? input : cut(json);
}

function timestampOf(line: Record<string, unknown>, fallback: number): number {
  const parsed = typeof line.timestamp === 'string' ? Date.parse(line.timestamp) : Number.NaN;
  return Number.isFinite(parsed) ? parsed : fallback;
}

/**
 * A user line: a prompt (string content or text blocks) or the results of tool calls. Lines the CLI
 * adds on its own (`isMeta`: reminders, caveats) are skipped; a slash command shows as `system`.
 */
function userEntries(line: Record<string, unknown>, ts: number): TranscriptDraft[] {
  if (line.isMeta === true) return [];
  const content = record(line.message)?.content;
  const blocks = typeof content === 'string' ? [{ type: 'text', text: content }] : content;
  if (!Array.isArray(blocks)) return [];
  const entries: TranscriptDraft[] = [];
  for (const block of blocks) {
    const part = record(block);
    if (part === null) continue;
    if (part.type === 'tool_result') {
      entries.push({
        ts,
        kind: 'tool_result',
        output: cut(resultText(part.content)),
        isError: part.is_error === true,
        ...(typeof part.tool_use_id === 'string' ? { toolUseId: part.tool_use_id } : {}),
      });
    } else if (part.type === 'text' && typeof part.text === 'string' && part.text.trim() !== '') {
      const command = /<command-name>([^<]*)<\/command-name>/.exec(part.text);
      if (command !== null) entries.push({ ts, kind: 'system', text: `command ${command[1]}` });
      else if (!part.text.startsWith('<local-command-') && !part.text.startsWith('<system-reminder>'))
        entries.push({ ts, kind: 'user', text: cut(part.text) });
    }
  }
  return entries;
}

function assistantLine(line: Record<string, unknown>, ts: number): ParsedLine {
  const message = record(line.message);
  if (message === null) return NOTHING;
  const blocks = Array.isArray(message.content) ? message.content : [];
  const model = typeof message.model === 'string' && message.model !== '<synthetic>' ? message.model : null;
  const isApiError = line.isApiErrorMessage === true;
  const entries: TranscriptDraft[] = [];
  for (const block of blocks) {
    const part = record(block);
    if (part === null) continue;
    if (part.type === 'text' && typeof part.text === 'string' && part.text !== '') {
      entries.push({ ts, kind: isApiError ? 'error' : 'assistant', text: cut(part.text) });
    } else if (part.type === 'tool_use') {
      entries.push({
        ts,
        kind: 'tool_use',
        tool: typeof part.name === 'string' ? part.name : 'tool',
        input: inputOf(part.input),
        ...(typeof part.id === 'string' ? { toolUseId: part.id } : {}),
      });
    }
  }
  const usage = isApiError ? null : tokenUsageOf(message.usage);
  const messageId = typeof message.id === 'string' ? message.id : null;
  const call = usage !== null && messageId !== null ? { messageId, model, usage } : null;
  for (const entry of entries) if (model !== null) entry.model = model;
  const apiError = isApiError ? entries.map((entry) => entry.text ?? '').join('\n') || 'API error' : null;
  const apiErrorKind = isApiError && typeof line.error === 'string' ? line.error : null;
  return isApiError ? { entries, call, apiError, apiErrorKind } : { entries, call, apiError };
}

/** A system line worth showing: the CLI's errors and notes with text (not its timing bookkeeping). */
function systemEntries(line: Record<string, unknown>, ts: number): TranscriptDraft[] {
  if (line.subtype === 'init') {
    const model = typeof line.model === 'string' ? ` (${line.model})` : '';
    return [{ ts, kind: 'system', text: `session started${model}` }];
  }
  if (line.subtype === 'compact_boundary') return [{ ts, kind: 'system', text: 'conversation compacted' }];
  const text = typeof line.content === 'string' ? line.content : '';
  if (text === '') return [];
  return [{ ts, kind: line.level === 'error' ? 'error' : 'system', text: cut(text) }];
}

/** A headless run's `result` line: only a failed one adds anything (its text repeats the reply). */
function resultLine(line: Record<string, unknown>, ts: number): ParsedLine {
  if (line.is_error !== true && line.subtype === 'success') return NOTHING;
  const text =
    typeof line.result === 'string' && line.result !== ''
      ? line.result
      : `the run ended with ${String(line.subtype ?? 'an error')}`;
  return { entries: [{ ts, kind: 'error', text: cut(text) }], call: null, apiError: text };
}

/** Entries of one parsed line; `now` stands in for a line without a timestamp. */
export function parseStructuredLine(value: unknown, now: number): ParsedLine {
  const line = record(value);
  if (line === null || line.isSidechain === true) return NOTHING;
  const ts = timestampOf(line, now);
  switch (line.type) {
    case 'user':
      return { entries: userEntries(line, ts), call: null, apiError: null };
    case 'assistant':
      return assistantLine(line, ts);
    case 'system':
      return { entries: systemEntries(line, ts), call: null, apiError: null };
    case 'result':
      return resultLine(line, ts);
    default:
      return NOTHING;
  }
}
