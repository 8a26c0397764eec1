import { describe, expect, it } from 'vitest';
import {
  assistantText,
  type ClassifiedMessage,
  classifyMessage,
  isApiRetry,
  isAssistantMessage,
  isResultMessage,
  isSystemInit,
  isTextBlock,
  isThinkingBlock,
  isToolResultBlock,
  isToolUseBlock,
  isUserMessage,
  messageSessionId,
  resultCost,
  toolUses,
} from '../../src/agent/claude/claude-messages.js';

const SESSION = '5b0a6f0e-3c2e-4a55-9d53-0d1f4b7c9a11';

/** Lines as the CLI prints them (spec/claude-code.md), parsed. */
const parse = (line: string): unknown => JSON.parse(line);

const INIT = `{"type":"system","subtype":"init","cwd":"/work","session_id":"${SESSION}","tools":["Bash","Read"],"mcp_servers":[],"model":"claude-sonnet-4-5","permissionMode":"default","claude_code_version":"2.1.197","apiKeySource":"ANTHROPIC_API_KEY"}`;
const ASSISTANT = `{"type":"assistant","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"thinking","thinking":"hmm","signature":"s"},{"type":"text","text":"Hello"},{"type":"tool_use","id":"toolu_1","name":"Bash","input":{"command":"ls"}},{"type":"text","text":", world"}],"stop_reason":null,"usage":{"input_tokens":3,"output_tokens":5}},"parent_tool_use_id":null,"session_id":"${SESSION}"}`;
const USER = `{"type":"user","message":{"role":"user","content":[{"tool_use_id":"toolu_1","type":"tool_result","content":"a.txt","is_error":false}]},"parent_tool_use_id":null,"session_id":"${SESSION}"}`;
const RETRY = `{"type":"system","subtype":"api_retry","attempt":1,"max_retries":10,"retry_delay_ms":527,"error_status":529,"error":"overloaded","session_id":"${SESSION}"}`;
const RESULT = `{"type":"result","subtype":"success","is_error":false,"duration_ms":1234,"duration_api_ms":1000,"num_turns":1,"result":"Hello, world","session_id":"${SESSION}","total_cost_usd":0.000235,"usage":{"input_tokens":3},"modelUsage":{"claude-sonnet-4-5":{}},"permission_denials":[]}`;
/** Newer versions put other keys before `type`. */
const RESULT_REORDERED = `{"session_id":"${SESSION}","is_error":true,"api_error_status":401,"result":"Invalid API key","subtype":"success","type":"result","total_cost_usd":0}`;

function expectType<T extends ClassifiedMessage['type']>(
  message: ClassifiedMessage,
  type: T,
): asserts message is Extract<ClassifiedMessage, { type: T }> {
  expect(message.type).toBe(type);
}

describe('classifyMessage', () => {
  it('classifies an init line and returns the parsed object itself', () => {
    const value = parse(INIT);
    const message = classifyMessage(value);
    expect(message).toBe(value);
    expect(isSystemInit(message)).toBe(true);
    if (!isSystemInit(message)) return;
    expect(message.session_id).toBe(SESSION);
    expect(message.tools).toEqual(['Bash', 'Read']);
    expect(message.claude_code_version).toBe('2.1.197');
  });

  it('needs a string session_id on an init line', () => {
    for (const sessionId of [undefined, 42, null]) {
      const value = { type: 'system', subtype: 'init', session_id: sessionId };
      expect(classifyMessage(value)).toEqual({ type: 'unknown', raw: value });
    }
  });

  it('drops known fields of the wrong type in a copy, keeping unknown fields and the original', () => {
    const value = { type: 'system', subtype: 'init', session_id: SESSION, tools: 'Bash', model: 7, extra: 1 };
    const message = classifyMessage(value);
    expect(message).not.toBe(value);
    expect(message).toEqual({ type: 'system', subtype: 'init', session_id: SESSION, extra: 1 });
    expect(value.tools).toBe('Bash');
    expect(value.model).toBe(7);
  });

  it('classifies api_retry lines', () => {
    const message = classifyMessage(parse(RETRY));
    expect(isApiRetry(message)).toBe(true);
    if (!isApiRetry(message)) return;
    expect(message.attempt).toBe(1);
    expect(message.error_status).toBe(529);
    expect(classifyMessage({ type: 'system', subtype: 'api_retry', error_status: null })).toEqual({
      type: 'system',
      subtype: 'api_retry',
      error_status: null,
    });
  });

  it('returns other system subtypes as unknown', () => {
    const value = { type: 'system', subtype: 'compact_boundary', session_id: SESSION };
    const message = classifyMessage(value);
    expectType(message, 'unknown');
    expect(message.raw).toBe(value);
  });

  it('classifies assistant messages and reads their blocks', () => {
    const value = parse(ASSISTANT);
    const message = classifyMessage(value);
    expect(message).toBe(value);
    expect(isAssistantMessage(message)).toBe(true);
    expect(assistantText(message)).toBe('Hello, world');
    expect(toolUses(message)).toEqual([
      { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'ls' } },
    ]);
    expectType(message, 'assistant');
    expect(message.message.content.filter(isThinkingBlock).map((b) => b.thinking)).toEqual(['hmm']);
    expect(message.message.usage?.output_tokens).toBe(5);
  });

  it.each([
    ['no message', { type: 'assistant' }],
    ['a message that is not an object', { type: 'assistant', message: 'hi' }],
    ['content that is not an array', { type: 'assistant', message: { content: 'hi' } }],
    ['no content', { type: 'assistant', message: { role: 'assistant' } }],
  ])('returns an assistant line with %s as unknown', (_name, value) => {
    expect(classifyMessage(value)).toEqual({ type: 'unknown', raw: value });
  });

  it('leaves out content elements that are not blocks, in a copy', () => {
    const content = [null, 'loose', { text: 'no type' }, { type: 'text', text: 'kept' }, { type: 'image' }];
    const value = { type: 'assistant', message: { content, usage: 'lots' }, session_id: SESSION };
    const message = classifyMessage(value);
    expectType(message, 'assistant');
    expect(message.message.content).toEqual([{ type: 'text', text: 'kept' }, { type: 'image' }]);
    expect(message.message).not.toHaveProperty('usage');
    expect(message.session_id).toBe(SESSION);
    expect(value.message.content).toHaveLength(5);
    expect(value.message.usage).toBe('lots');
    expect(assistantText(message)).toBe('kept');
  });

  it('ignores malformed text blocks when reading text', () => {
    const message = classifyMessage({
      type: 'assistant',
      message: { content: [{ type: 'text', text: 5 }, { type: 'text' }, { type: 'text', text: 'ok' }] },
    });
    expect(assistantText(message)).toBe('ok');
  });

  it('classifies user messages with tool results or plain string content', () => {
    const message = classifyMessage(parse(USER));
    expect(isUserMessage(message)).toBe(true);
    expectType(message, 'user');
    const [block] = message.message.content;
    expect(isToolResultBlock(block)).toBe(true);
    const prompt = classifyMessage({ type: 'user', message: { role: 'user', content: 'do it' } });
    expectType(prompt, 'user');
    expect(prompt.message.content).toBe('do it');
  });

  it('does not accept string content on an assistant line', () => {
    expect(classifyMessage({ type: 'assistant', message: { content: 'x' } }).type).toBe('unknown');
  });

  it('classifies result lines, whatever the key order', () => {
    const value = parse(RESULT);
    const message = classifyMessage(value);
    expect(message).toBe(value);
    expect(isResultMessage(message)).toBe(true);
    expect(resultCost(message)).toBe(0.000235);
    const failed = classifyMessage(parse(RESULT_REORDERED));
    expectType(failed, 'result');
    expect(failed.is_error).toBe(true);
    expect(failed.api_error_status).toBe(401);
    expect(failed.result).toBe('Invalid API key');
    expect(resultCost(failed)).toBe(0);
  });

  it('accepts error subtypes without result text', () => {
    const message = classifyMessage({
      type: 'result',
      subtype: 'error_max_turns',
      is_error: true,
      num_turns: 3,
    });
    expectType(message, 'result');
    expect(message.result).toBeUndefined();
    expect(message.num_turns).toBe(3);
  });

  it.each([
    ['no is_error', { type: 'result', subtype: 'success', result: 'x' }],
    ['a string is_error', { type: 'result', subtype: 'success', is_error: 'false' }],
    ['no subtype', { type: 'result', is_error: false }],
  ])('returns a result with %s as unknown', (_name, value) => {
    expect(classifyMessage(value).type).toBe('unknown');
  });

  it('reports no cost for a missing, malformed or negative total_cost_usd', () => {
    const base = { type: 'result', subtype: 'success', is_error: false };
    expect(resultCost(classifyMessage(base))).toBeNull();
    const stringCost = classifyMessage({ ...base, total_cost_usd: '0.5' });
    expect(stringCost).not.toHaveProperty('total_cost_usd');
    expect(resultCost(stringCost)).toBeNull();
    expect(resultCost(classifyMessage({ ...base, total_cost_usd: -1 }))).toBeNull();
    expect(resultCost(classifyMessage(parse(ASSISTANT)))).toBeNull();
  });

  it('wraps values that are not objects', () => {
    for (const value of [null, undefined, 1, 'text', true, [1, 2]]) {
      expect(classifyMessage(value)).toEqual({ type: 'unknown', raw: { value } });
    }
  });

  it('returns unknown and future types with their object', () => {
    for (const value of [{}, { type: 'stream_event', event: {} }, { type: 42 }, { type: 'unknown', x: 1 }]) {
      const message = classifyMessage(value);
      expectType(message, 'unknown');
      expect(message.raw).toBe(value);
    }
  });

  it('copies a __proto__ key as a plain field without polluting prototypes', () => {
    const value = parse(
      '{"type":"result","subtype":"success","is_error":false,"num_turns":"x","__proto__":{"polluted":true}}',
    );
    const message = classifyMessage(value);
    expectType(message, 'result');
    expect(Object.hasOwn(message, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(message)).toBe(Object.prototype);
  });

  it('never throws on arbitrary JSON values', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const atoms: unknown[] = [
      null,
      true,
      0,
      -1,
      1.5,
      '',
      'text',
      'init',
      'result',
      'assistant',
      'user',
      'system',
    ];
    const keys = [
      'type',
      'subtype',
      'message',
      'content',
      'session_id',
      'is_error',
      'result',
      'text',
      'tools',
    ];
    const build = (depth: number): unknown => {
      const pick = random();
      if (depth === 0 || pick < 0.4) return atoms[Math.floor(random() * atoms.length)];
      if (pick < 0.6) return Array.from({ length: Math.floor(random() * 4) }, () => build(depth - 1));
      const object: Record<string, unknown> = {};
      for (let i = 0; i < 4; i++)
        object[keys[Math.floor(random() * keys.length)] ?? 'type'] = build(depth - 1);
      return object;
    };
    for (let i = 0; i < 5_000; i++) {
      const value = build(4);
      const message = classifyMessage(value);
      expect(() => [assistantText(message), resultCost(message), messageSessionId(message)]).not.toThrow();
    }
  });
});

describe('block guards', () => {
  it('check the fields of each block kind', () => {
    expect(isTextBlock({ type: 'text', text: '' })).toBe(true);
    expect(isTextBlock({ type: 'text' })).toBe(false);
    expect(isTextBlock(null)).toBe(false);
    expect(isToolUseBlock({ type: 'tool_use', id: 'a', name: 'Bash', input: {} })).toBe(true);
    expect(isToolUseBlock({ type: 'tool_use', id: 'a' })).toBe(false);
    expect(isThinkingBlock({ type: 'thinking', thinking: 'x' })).toBe(true);
    expect(isThinkingBlock({ type: 'text', thinking: 'x' })).toBe(false);
    expect(isToolResultBlock({ type: 'tool_result', tool_use_id: 'a' })).toBe(true);
    expect(isToolResultBlock({ type: 'tool_result', tool_use_id: 1 })).toBe(false);
  });
});

describe('messageSessionId', () => {
  it('reads the session id of known and unknown messages', () => {
    expect(messageSessionId(classifyMessage(parse(INIT)))).toBe(SESSION);
    expect(messageSessionId(classifyMessage({ type: 'stream_event', session_id: 'x' }))).toBe('x');
    expect(messageSessionId(classifyMessage({ type: 'stream_event', session_id: 1 }))).toBeNull();
    expect(
      messageSessionId(classifyMessage({ type: 'result', subtype: 'success', is_error: false })),
    ).toBeNull();
  });
});
