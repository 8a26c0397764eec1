import { describe, expect, it } from 'vitest';
import {
  ENTRY_TEXT_CHARS,
  parseStructuredLine,
  tokenUsageOf,
} from '../../src/agent/claude/transcript/transcript-entries.js';

const NOW = 1_700_000_000_000;
const TIMESTAMP = '2026-12-07T13:40:00.000Z';
const TS = Date.parse(TIMESTAMP);

const USAGE = {
  input_tokens: 1803,
  cache_creation_input_tokens: 0,
  cache_read_input_tokens: 0,
  output_tokens: 3,
};

function assistant(content: unknown[], extra: Record<string, unknown> = {}, message: object = {}) {
  return {
    type: 'assistant',
    message: { id: 'msg_1', model: 'claude-opus-4-8', role: 'assistant', content, usage: USAGE, ...message },
    uuid: 'a-1',
    timestamp: TIMESTAMP,
    ...extra,
  };
}

describe('parseStructuredLine: user lines', () => {
  it('a string prompt is one user entry at the line timestamp', () => {
    const parsed = parseStructuredLine(
      {
        type: 'user',
        message: { role: 'user', content: 'PLEASE run the echo' },
        uuid: 'u-1',
        timestamp: TIMESTAMP,
      },
      NOW,
    );
    expect(parsed).toEqual({
      entries: [{ ts: TS, kind: 'user', text: 'PLEASE run the echo' }],
      call: null,
      apiError: null,
    });
  });

  it('text blocks are user entries; blank text is skipped', () => {
    const parsed = parseStructuredLine(
      {
        type: 'user',
        message: {
          role: 'user',
          content: [
            { type: 'text', text: 'first' },
            { type: 'text', text: '   ' },
            { type: 'text', text: 'second' },
          ],
        },
        timestamp: TIMESTAMP,
      },
      NOW,
    );
    expect(parsed.entries).toEqual([
      { ts: TS, kind: 'user', text: 'first' },
      { ts: TS, kind: 'user', text: 'second' },
    ]);
  });

  it('falls back to now without a (valid) timestamp', () => {
    const noTs = parseStructuredLine({ type: 'user', message: { content: 'hi' } }, NOW);
    expect(noTs.entries).toEqual([{ ts: NOW, kind: 'user', text: 'hi' }]);
    const badTs = parseStructuredLine(
      { type: 'user', message: { content: 'hi' }, timestamp: 'yesterday' },
      NOW,
    );
    expect(badTs.entries[0]?.ts).toBe(NOW);
    const numTs = parseStructuredLine({ type: 'user', message: { content: 'hi' }, timestamp: 123 }, NOW);
    expect(numTs.entries[0]?.ts).toBe(NOW);
  });

  it('a tool result is a tool_result entry with output, id and isError', () => {
    const parsed = parseStructuredLine(
      {
        type: 'user',
        message: {
          role: 'user',
          content: [
            { tool_use_id: 'toolu_1', type: 'tool_result', content: 'tool-output-42', is_error: false },
          ],
        },
        timestamp: TIMESTAMP,
      },
      NOW,
    );
    expect(parsed).toEqual({
      entries: [
        { ts: TS, kind: 'tool_result', output: 'tool-output-42', isError: false, toolUseId: 'toolu_1' },
      ],
      call: null,
      apiError: null,
    });
  });

  it('a failed tool result with block content joins the text and names images', () => {
    const parsed = parseStructuredLine(
      {
        type: 'user',
        message: {
          content: [
            {
              type: 'tool_result',
              is_error: true,
              content: [{ type: 'text', text: 'line one' }, { type: 'image', source: {} }, { type: 'other' }],
            },
          ],
        },
      },
      NOW,
    );
    expect(parsed.entries).toEqual([
      { ts: NOW, kind: 'tool_result', output: 'line one\n[image]', isError: true },
    ]);
    expect(parsed.entries[0]).not.toHaveProperty('toolUseId');
  });

  it('a slash command shows as a system entry', () => {
    const parsed = parseStructuredLine(
      {
        type: 'user',
        message: {
          role: 'user',
          content:
            '<command-name>/clear</command-name>\n<command-message>clear</command-message>\n<command-args></command-args>',
        },
        timestamp: TIMESTAMP,
      },
      NOW,
    );
    expect(parsed.entries).toEqual([{ ts: TS, kind: 'system', text: 'command /clear' }]);
  });

  it('skips local-command output, system reminders, isMeta and sidechain lines', () => {
    expect(
      parseStructuredLine(
        { type: 'user', message: { content: '<local-command-stdout>done</local-command-stdout>' } },
        NOW,
      ).entries,
    ).toEqual([]);
    expect(
      parseStructuredLine({ type: 'user', message: { content: '<system-reminder>x</system-reminder>' } }, NOW)
        .entries,
    ).toEqual([]);
    expect(
      parseStructuredLine({ type: 'user', isMeta: true, message: { content: 'Caveat: …' } }, NOW),
    ).toEqual({
      entries: [],
      call: null,
      apiError: null,
    });
    expect(
      parseStructuredLine({ type: 'user', isSidechain: true, message: { content: 'sub-agent prompt' } }, NOW),
    ).toEqual({ entries: [], call: null, apiError: null });
    expect(
      parseStructuredLine(assistant([{ type: 'text', text: 'sub' }], { isSidechain: true }), NOW),
    ).toEqual({
      entries: [],
      call: null,
      apiError: null,
    });
  });

  it('cuts a long prompt to ENTRY_TEXT_CHARS plus a marker', () => {
    const long = 'a'.repeat(ENTRY_TEXT_CHARS + 100);
    const text = parseStructuredLine({ type: 'user', message: { content: long } }, NOW).entries[0]?.text;
    expect(text).toBe(`${'a'.repeat(ENTRY_TEXT_CHARS)}… [cut]`);
    const exact = 'b'.repeat(ENTRY_TEXT_CHARS);
    expect(parseStructuredLine({ type: 'user', message: { content: exact } }, NOW).entries[0]?.text).toBe(
      exact,
    );
  });

  it('cuts a long tool output', () => {
    const output = parseStructuredLine(
      {
        type: 'user',
        message: { content: [{ type: 'tool_result', content: 'x'.repeat(ENTRY_TEXT_CHARS * 3) }] },
      },
      NOW,
    ).entries[0]?.output;
    expect(output).toHaveLength(ENTRY_TEXT_CHARS + '… [cut]'.length);
    expect(output?.endsWith('… [cut]')).toBe(true);
  });
});

describe('parseStructuredLine: assistant lines', () => {
  it('a text line is an assistant entry with the model, and its call', () => {
    const parsed = parseStructuredLine(assistant([{ type: 'text', text: 'Running it.' }]), NOW);
    expect(parsed).toEqual({
      entries: [{ ts: TS, kind: 'assistant', text: 'Running it.', model: 'claude-opus-4-8' }],
      call: {
        messageId: 'msg_1',
        model: 'claude-opus-4-8',
        usage: { inputTokens: 1803, outputTokens: 3, cacheReadTokens: 0, cacheWriteTokens: 0 },
      },
      apiError: null,
    });
  });

  it('a tool_use line is a tool_use entry with tool, id and input; same call id', () => {
    const parsed = parseStructuredLine(
      assistant([
        { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'echo tool-output-42' } },
      ]),
      NOW,
    );
    expect(parsed.entries).toEqual([
      {
        ts: TS,
        kind: 'tool_use',
        tool: 'Bash',
        input: { command: 'echo tool-output-42' },
        toolUseId: 'toolu_1',
        model: 'claude-opus-4-8',
      },
    ]);
    expect(parsed.call?.messageId).toBe('msg_1');
    expect(parsed.apiError).toBeNull();
  });

  it('a tool_use without name or id is named "tool"', () => {
    const entry = parseStructuredLine(assistant([{ type: 'tool_use', input: null }]), NOW).entries[0];
    expect(entry?.tool).toBe('tool');
    expect(entry?.input).toBeNull();
    expect(entry).not.toHaveProperty('toolUseId');
  });

  it('replaces a huge tool input by a cut JSON string', () => {
    const input = { content: 'z'.repeat(ENTRY_TEXT_CHARS * 2) };
    const entry = parseStructuredLine(assistant([{ type: 'tool_use', id: 't', name: 'Write', input }]), NOW)
      .entries[0];
    expect(typeof entry?.input).toBe('string');
    const text = entry?.input as string;
    expect(text).toBe(`${JSON.stringify(input).slice(0, ENTRY_TEXT_CHARS)}… [cut]`);
    expect(text.startsWith('{"content":"zzz')).toBe(true);
  });

  it('skips empty text and non-object blocks; thinking adds nothing', () => {
    const parsed = parseStructuredLine(
      assistant([
        null,
        'str',
        { type: 'text', text: '' },
        { type: 'thinking', thinking: 'hmm' },
        { type: 'text', text: 'ok' },
      ]),
      NOW,
    );
    expect(parsed.entries.map((entry) => entry.text)).toEqual(['ok']);
    expect(parsed.call).not.toBeNull();
  });

  it('cuts a long reply', () => {
    const text = parseStructuredLine(
      assistant([{ type: 'text', text: 'r'.repeat(ENTRY_TEXT_CHARS + 1) }]),
      NOW,
    ).entries[0]?.text;
    expect(text).toBe(`${'r'.repeat(ENTRY_TEXT_CHARS)}… [cut]`);
  });

  it('a <synthetic> model is no model', () => {
    const parsed = parseStructuredLine(
      assistant([{ type: 'text', text: 'No response requested.' }], {}, { model: '<synthetic>' }),
      NOW,
    );
    expect(parsed.entries).toEqual([{ ts: TS, kind: 'assistant', text: 'No response requested.' }]);
    expect(parsed.call?.model).toBeNull();
  });

  it('no call without a message id or usage', () => {
    expect(
      parseStructuredLine(assistant([{ type: 'text', text: 'x' }], {}, { id: undefined }), NOW).call,
    ).toBeNull();
    expect(
      parseStructuredLine(assistant([{ type: 'text', text: 'x' }], {}, { usage: 'none' }), NOW).call,
    ).toBeNull();
  });

  it('an API error line is an error entry with apiError and no call', () => {
    const parsed = parseStructuredLine(
      {
        type: 'assistant',
        isApiErrorMessage: true,
        error: 'rate_limit',
        message: {
          id: 'x',
          model: '<synthetic>',
          content: [{ type: 'text', text: 'API Error: Request rejected (429) · fake-anthropic: HTTP 429' }],
          usage: USAGE,
        },
        timestamp: TIMESTAMP,
      },
      NOW,
    );
    expect(parsed).toEqual({
      entries: [
        { ts: TS, kind: 'error', text: 'API Error: Request rejected (429) · fake-anthropic: HTTP 429' },
      ],
      call: null,
      apiError: 'API Error: Request rejected (429) · fake-anthropic: HTTP 429',
      apiErrorKind: 'rate_limit',
    });
  });

  it('an API error line without text still reports an API error', () => {
    const parsed = parseStructuredLine(
      { type: 'assistant', isApiErrorMessage: true, message: { id: 'x', content: [], usage: USAGE } },
      NOW,
    );
    expect(parsed).toEqual({ entries: [], call: null, apiError: 'API error', apiErrorKind: null });
  });

  it('an assistant line without a message adds nothing', () => {
    expect(parseStructuredLine({ type: 'assistant', message: 'text' }, NOW)).toEqual({
      entries: [],
      call: null,
      apiError: null,
    });
  });
});

describe('parseStructuredLine: system, result and other lines', () => {
  it('stream-json init is "session started (model)"', () => {
    const parsed = parseStructuredLine(
      { type: 'system', subtype: 'init', model: 'claude-sonnet-4-6', session_id: 's-1' },
      NOW,
    );
    expect(parsed).toEqual({
      entries: [{ ts: NOW, kind: 'system', text: 'session started (claude-sonnet-4-6)' }],
      call: null,
      apiError: null,
    });
    expect(parseStructuredLine({ type: 'system', subtype: 'init' }, NOW).entries[0]?.text).toBe(
      'session started',
    );
  });

  it('compact boundary, content notes and error-level notes', () => {
    expect(parseStructuredLine({ type: 'system', subtype: 'compact_boundary' }, NOW).entries).toEqual([
      { ts: NOW, kind: 'system', text: 'conversation compacted' },
    ]);
    expect(parseStructuredLine({ type: 'system', content: 'note', level: 'info' }, NOW).entries).toEqual([
      { ts: NOW, kind: 'system', text: 'note' },
    ]);
    expect(parseStructuredLine({ type: 'system', content: 'bad', level: 'error' }, NOW).entries).toEqual([
      { ts: NOW, kind: 'error', text: 'bad' },
    ]);
  });

  it('turn_duration bookkeeping adds nothing', () => {
    expect(parseStructuredLine({ type: 'system', subtype: 'turn_duration', durationMs: 5 }, NOW)).toEqual({
      entries: [],
      call: null,
      apiError: null,
    });
  });

  it('a successful result adds nothing', () => {
    expect(
      parseStructuredLine({ type: 'result', subtype: 'success', is_error: false, result: 'the reply' }, NOW),
    ).toEqual({ entries: [], call: null, apiError: null });
  });

  it('a failed result is an error entry and an apiError', () => {
    expect(
      parseStructuredLine(
        { type: 'result', subtype: 'error_during_execution', is_error: true, result: 'boom' },
        NOW,
      ),
    ).toEqual({ entries: [{ ts: NOW, kind: 'error', text: 'boom' }], call: null, apiError: 'boom' });
  });

  it('a failed result without text names its subtype', () => {
    const parsed = parseStructuredLine({ type: 'result', subtype: 'error_max_turns', is_error: true }, NOW);
    expect(parsed.entries[0]?.text).toBe('the run ended with error_max_turns');
    expect(parsed.apiError).toBe('the run ended with error_max_turns');
  });

  it.each([
    { type: 'ai-title', title: 'Echo' },
    { type: 'file-history-snapshot', snapshot: {} },
    { type: 'attachment', attachment: {} },
    { type: 'last-prompt', prompt: 'x' },
    { type: 'summary', summary: 'y' },
    { message: { content: 'no type' } },
  ])('bookkeeping line %o adds nothing', (line) => {
    expect(parseStructuredLine(line, NOW)).toEqual({ entries: [], call: null, apiError: null });
  });

  it.each([null, undefined, 42, 'text', true, [], [{ type: 'user', message: { content: 'x' } }]])(
    'a non-object %o adds nothing',
    (value) => {
      expect(parseStructuredLine(value, NOW)).toEqual({ entries: [], call: null, apiError: null });
    },
  );
});

describe('tokenUsageOf', () => {
  it('maps the API fields', () => {
    expect(
      tokenUsageOf({
        input_tokens: 10,
        output_tokens: 20,
        cache_read_input_tokens: 30,
        cache_creation_input_tokens: 40,
      }),
    ).toEqual({ inputTokens: 10, outputTokens: 20, cacheReadTokens: 30, cacheWriteTokens: 40 });
  });

  it('counts missing, negative, fractional and non-numeric fields sanely', () => {
    expect(
      tokenUsageOf({
        input_tokens: -5,
        output_tokens: 2.7,
        cache_read_input_tokens: '9',
        cache_creation_input_tokens: Infinity,
      }),
    ).toEqual({ inputTokens: 0, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0 });
    expect(tokenUsageOf({})).toEqual({
      inputTokens: 0,
      outputTokens: 0,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
    });
  });

  it('null for a non-object', () => {
    expect(tokenUsageOf(null)).toBeNull();
    expect(tokenUsageOf([1, 2])).toBeNull();
    expect(tokenUsageOf(7)).toBeNull();
  });
});
