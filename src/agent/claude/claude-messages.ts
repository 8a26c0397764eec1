/**
 * The messages `claude -p --output-format stream-json --verbose` prints, one JSON object per line
 * (spec/claude-code.md), and a classifier that checks a parsed value against them without trusting it.
 *
 * Classification looks only at what identifies a message (`type`, `subtype`) and at what a consumer
 * cannot do without (an init's `session_id`, the `message.content` of assistant and user lines, a
 * result's `subtype` and `is_error`); when those fail the value is returned as `unknown` with its
 * object intact. Other known fields are optional: one with a wrong type is left out (in a shallow copy;
 * the parsed object is returned as is when everything conforms, the usual case), so the types below
 * hold at run time. Fields this file does not know are kept, for clients that show whole messages.
 */

export type JsonObject = Record<string, unknown>;

/** Token counts as the Messages API reports them; more fields appear over versions. */
export interface ClaudeUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
  [key: string]: unknown;
}

export interface ClaudeTextBlock {
  type: 'text';
  text: string;
}

export interface ClaudeToolUseBlock {
  type: 'tool_use';
  id: string;
  name: string;
  input: unknown;
}

export interface ClaudeThinkingBlock {
  type: 'thinking';
  thinking: string;
  signature?: string;
}

export interface ClaudeToolResultBlock {
  type: 'tool_result';
  tool_use_id: string;
  content?: unknown;
  is_error?: boolean;
}

/** Any block (images, redacted thinking, server tools, future kinds); read known ones with the guards. */
export interface ClaudeOtherBlock {
  type: string;
  [key: string]: unknown;
}

export type ClaudeContentBlock =
  | ClaudeTextBlock
  | ClaudeToolUseBlock
  | ClaudeThinkingBlock
  | ClaudeToolResultBlock
  | ClaudeOtherBlock;

export interface ClaudeSystemInit {
  type: 'system';
  subtype: 'init';
  session_id: string;
  cwd?: string;
  model?: string;
  tools?: string[];
  permissionMode?: string;
  claude_code_version?: string;
  apiKeySource?: string;
  uuid?: string;
}

/** Printed while the API fails and the CLI backs off (about 10 attempts over minutes by default). */
export interface ClaudeApiRetry {
  type: 'system';
  subtype: 'api_retry';
  attempt?: number;
  max_retries?: number;
  retry_delay_ms?: number;
  error_status?: number | null;
  error?: string;
  session_id?: string;
  uuid?: string;
}

export interface ClaudeAssistantMessage {
  type: 'assistant';
  message: {
    content: ClaudeContentBlock[];
    id?: string;
    role?: string;
    model?: string;
    stop_reason?: string | null;
    usage?: ClaudeUsage;
  };
  session_id?: string;
  parent_tool_use_id?: string | null;
  uuid?: string;
}

/** Tool results travel back as user messages; a prompt given as stream-json input has string content. */
export interface ClaudeUserMessage {
  type: 'user';
  message: {
    content: string | ClaudeContentBlock[];
    role?: string;
  };
  session_id?: string;
  parent_tool_use_id?: string | null;
  uuid?: string;
}

/**
 * The last line of a run. On API errors the subtype still says `success`, with `is_error: true` and
 * `api_error_status`; the error subtypes (`error_max_turns`, `error_during_execution`) carry no
 * `result` text.
 */
export interface ClaudeResultMessage {
  type: 'result';
  subtype: string;
  is_error: boolean;
  result?: string;
  session_id?: string;
  total_cost_usd?: number;
  duration_ms?: number;
  duration_api_ms?: number;
  num_turns?: number;
  usage?: ClaudeUsage;
  api_error_status?: number | null;
  errors?: string[];
  uuid?: string;
}

export type ClaudeMessage =
  | ClaudeSystemInit
  | ClaudeApiRetry
  | ClaudeAssistantMessage
  | ClaudeUserMessage
  | ClaudeResultMessage;

/** Anything else: other system subtypes, `stream_event`s, a future kind, or a malformed message. */
export interface ClaudeUnknownMessage {
  type: 'unknown';
  /** The parsed object itself, or `{ value }` when the value was not an object. */
  raw: JsonObject;
}

export type ClassifiedMessage = ClaudeMessage | ClaudeUnknownMessage;

type Check = (value: unknown) => boolean;
/** The optional fields of one message kind and the type each must have when present. */
type FieldChecks = Readonly<Record<string, Check>>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isString: Check = (value) => typeof value === 'string';
const isBoolean: Check = (value) => typeof value === 'boolean';
const isFiniteNumber: Check = (value) => typeof value === 'number' && Number.isFinite(value);
const isStringOrNull: Check = (value) => value === null || typeof value === 'string';
const isNumberOrNull: Check = (value) => value === null || isFiniteNumber(value);
const isStringArray: Check = (value) => Array.isArray(value) && value.every(isString);

const INIT_FIELDS: FieldChecks = {
  cwd: isString,
  model: isString,
  tools: isStringArray,
  permissionMode: isString,
  claude_code_version: isString,
  apiKeySource: isString,
  uuid: isString,
};

const API_RETRY_FIELDS: FieldChecks = {
  attempt: isFiniteNumber,
  max_retries: isFiniteNumber,
  retry_delay_ms: isFiniteNumber,
  error_status: isNumberOrNull,
  error: isString,
  session_id: isString,
  uuid: isString,
};

/** Fields shared by assistant and user lines. */
const CONVERSATION_FIELDS: FieldChecks = {
  session_id: isString,
  parent_tool_use_id: isStringOrNull,
  uuid: isString,
};

const ASSISTANT_BODY_FIELDS: FieldChecks = {
  id: isString,
  role: isString,
  model: isString,
  stop_reason: isStringOrNull,
  usage: isJsonObject,
};

const USER_BODY_FIELDS: FieldChecks = { role: isString };

const RESULT_FIELDS: FieldChecks = {
  result: isString,
  session_id: isString,
  total_cost_usd: isFiniteNumber,
  duration_ms: isFiniteNumber,
  duration_api_ms: isFiniteNumber,
  num_turns: isFiniteNumber,
  usage: isJsonObject,
  api_error_status: isNumberOrNull,
  errors: isStringArray,
  uuid: isString,
};

/** `object`, or a shallow copy without the known fields whose values have the wrong type. */
function withValidFields(object: JsonObject, checks: FieldChecks): JsonObject {
  let copy: JsonObject | null = null;
  for (const [key, check] of Object.entries(checks)) {
    if (!Object.hasOwn(object, key) || check(object[key])) continue;
    copy ??= { ...object };
    delete copy[key];
  }
  return copy ?? object;
}

function isContentBlock(value: unknown): value is ClaudeContentBlock {
  return isJsonObject(value) && typeof value.type === 'string';
}

/** `content`, or a copy without the elements that are not blocks at all. */
function validBlocks(content: unknown[]): ClaudeContentBlock[] {
  return content.every(isContentBlock) ? content : content.filter(isContentBlock);
}

/** A message body (`message` field) with valid fields and content, or null when it has none. */
function conversationBody(body: unknown, checks: FieldChecks, stringContent: boolean): JsonObject | null {
  if (!isJsonObject(body)) return null;
  const { content } = body;
  if (typeof content === 'string' && stringContent) return withValidFields(body, checks);
  if (!Array.isArray(content)) return null;
  const blocks = validBlocks(content);
  const checked = withValidFields(body, checks);
  if (blocks === content) return checked;
  return { ...checked, content: blocks };
}

function conversation(object: JsonObject, checks: FieldChecks, stringContent: boolean): JsonObject | null {
  const body = conversationBody(object.message, checks, stringContent);
  if (body === null) return null;
  const checked = withValidFields(object, CONVERSATION_FIELDS);
  return body === object.message ? checked : { ...checked, message: body };
}

function unknownMessage(raw: JsonObject): ClaudeUnknownMessage {
  return { type: 'unknown', raw };
}

/**
 * Classifies one parsed stream-json value. Never throws; the casts below are justified by the checks
 * just made (required fields present, optional ones of the declared type).
 */
export function classifyMessage(value: unknown): ClassifiedMessage {
  if (!isJsonObject(value)) return unknownMessage({ value });
  switch (value.type) {
    case 'system':
      if (value.subtype === 'init' && typeof value.session_id === 'string') {
        return withValidFields(value, INIT_FIELDS) as unknown as ClaudeSystemInit;
      }
      if (value.subtype === 'api_retry') {
        return withValidFields(value, API_RETRY_FIELDS) as unknown as ClaudeApiRetry;
      }
      return unknownMessage(value);
    case 'assistant': {
      const checked = conversation(value, ASSISTANT_BODY_FIELDS, false);
      return checked === null ? unknownMessage(value) : (checked as unknown as ClaudeAssistantMessage);
    }
    case 'user': {
      const checked = conversation(value, USER_BODY_FIELDS, true);
      return checked === null ? unknownMessage(value) : (checked as unknown as ClaudeUserMessage);
    }
    case 'result':
      if (typeof value.subtype === 'string' && isBoolean(value.is_error)) {
        return withValidFields(value, RESULT_FIELDS) as unknown as ClaudeResultMessage;
      }
      return unknownMessage(value);
    default:
      return unknownMessage(value);
  }
}

export function isTextBlock(block: unknown): block is ClaudeTextBlock {
  return isJsonObject(block) && block.type === 'text' && typeof block.text === 'string';
}

export function isToolUseBlock(block: unknown): block is ClaudeToolUseBlock {
  return (
    isJsonObject(block) &&
    block.type === 'tool_use' &&
    typeof block.id === 'string' &&
    typeof block.name === 'string'
  );
}

export function isThinkingBlock(block: unknown): block is ClaudeThinkingBlock {
  return isJsonObject(block) && block.type === 'thinking' && typeof block.thinking === 'string';
}

export function isToolResultBlock(block: unknown): block is ClaudeToolResultBlock {
  return isJsonObject(block) && block.type === 'tool_result' && typeof block.tool_use_id === 'string';
}

export function isSystemInit(message: ClassifiedMessage): message is ClaudeSystemInit {
  return message.type === 'system' && message.subtype === 'init';
}

export function isApiRetry(message: ClassifiedMessage): message is ClaudeApiRetry {
  return message.type === 'system' && message.subtype === 'api_retry';
}

export function isAssistantMessage(message: ClassifiedMessage): message is ClaudeAssistantMessage {
  return message.type === 'assistant';
}

export function isUserMessage(message: ClassifiedMessage): message is ClaudeUserMessage {
  return message.type === 'user';
}

export function isResultMessage(message: ClassifiedMessage): message is ClaudeResultMessage {
  return message.type === 'result';
}

/** The text blocks of an assistant message, concatenated; '' for any other message. */
export function assistantText(message: ClassifiedMessage): string {
  if (message.type !== 'assistant') return '';
  let text = '';
  for (const block of message.message.content) {
    if (isTextBlock(block)) text += block.text;
  }
  return text;
}

/** The tool calls of an assistant message, in order; [] for any other message. */
export function toolUses(message: ClassifiedMessage): ClaudeToolUseBlock[] {
  if (message.type !== 'assistant') return [];
  return message.message.content.filter(isToolUseBlock);
}

/** A result's `total_cost_usd` (USD, cumulative for the run), or null: not a result, or no valid cost. */
export function resultCost(message: ClassifiedMessage): number | null {
  if (message.type !== 'result') return null;
  const cost = message.total_cost_usd;
  return cost !== undefined && cost >= 0 ? cost : null;
}

/** The CLI's conversation id carried by a message, or null when it carries none. */
export function messageSessionId(message: ClassifiedMessage): string | null {
  if (message.type === 'unknown') {
    const id = message.raw.session_id;
    return typeof id === 'string' ? id : null;
  }
  return message.session_id ?? null;
}
