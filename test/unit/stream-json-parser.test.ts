import { describe, expect, it } from 'vitest';
import type { ClassifiedMessage } from '../../src/agent/claude/claude-messages.js';
import {
  MAX_LINE_LENGTH,
  StreamJsonParser,
  type StreamJsonParserOptions,
} from '../../src/agent/claude/stream-json-parser.js';

const SESSION = 'c0ffee00-0000-4000-8000-000000000001';
const ESC = '\x1b';

type Event =
  | { kind: 'message'; type: ClassifiedMessage['type']; line: string }
  | { kind: 'text'; text: string; raw: string };

function collect(options?: StreamJsonParserOptions) {
  const events: Event[] = [];
  const messages: ClassifiedMessage[] = [];
  const parser = new StreamJsonParser(
    {
      onMessage: (message, line) => {
        messages.push(message);
        events.push({ kind: 'message', type: message.type, line });
      },
      onText: (text, raw) => events.push({ kind: 'text', text, raw }),
    },
    options,
  );
  return {
    parser,
    events,
    messages,
    texts: () => events.flatMap((e) => (e.kind === 'text' ? [e.text] : [])),
  };
}

const INIT = `{"type":"system","subtype":"init","cwd":"/w","session_id":"${SESSION}","tools":[],"model":"m"}`;
const ASSISTANT = (text: string) =>
  `{"type":"assistant","message":{"role":"assistant","content":[{"type":"text","text":${JSON.stringify(text)}}]},"session_id":"${SESSION}"}`;
const RESULT = `{"type":"result","subtype":"success","is_error":false,"duration_ms":812,"num_turns":1,"result":"Done.","session_id":"${SESSION}","total_cost_usd":0.000235,"usage":{}}`;
const STREAM = `${INIT}\n${ASSISTANT('Hello')}\n${ASSISTANT('Done.')}\n${RESULT}\n`;

describe('StreamJsonParser', () => {
  it('parses one JSON object per line', () => {
    const { parser, events } = collect();
    parser.push(STREAM);
    expect(events).toEqual([
      { kind: 'message', type: 'system', line: INIT },
      { kind: 'message', type: 'assistant', line: ASSISTANT('Hello') },
      { kind: 'message', type: 'assistant', line: ASSISTANT('Done.') },
      { kind: 'message', type: 'result', line: RESULT },
    ]);
  });

  it('gives the same events however the stream is cut into chunks', () => {
    const whole = collect();
    whole.parser.push(STREAM);
    whole.parser.end();
    for (const size of [1, 2, 3, 7, 64]) {
      const chunked = collect();
      for (let i = 0; i < STREAM.length; i += size) chunked.parser.push(STREAM.slice(i, i + size));
      chunked.parser.end();
      expect(chunked.events, `chunks of ${size}`).toEqual(whole.events);
    }
  });

  it('parses CRLF lines, as a PTY writes them', () => {
    const { parser, messages, texts, events } = collect();
    parser.push(`${STREAM}warning: x\n`.replaceAll('\n', '\r\n'));
    expect(messages.map((m) => m.type)).toEqual(['system', 'assistant', 'assistant', 'result']);
    expect(texts()).toEqual(['warning: x']);
    expect(events.at(-1)).toEqual({ kind: 'text', text: 'warning: x', raw: 'warning: x' });
  });

  it('parses objects whose "type" is not the first key, and never matches prefixes', () => {
    const { parser, events } = collect();
    parser.push(`{"session_id":"x","subtype":"success","is_error":false,"type":"result"}\n`);
    parser.push(`{"type":"result" oops\n`);
    expect(events).toEqual([
      {
        kind: 'message',
        type: 'result',
        line: '{"session_id":"x","subtype":"success","is_error":false,"type":"result"}',
      },
      { kind: 'text', text: '{"type":"result" oops', raw: '{"type":"result" oops' },
    ]);
  });

  it('strips ANSI colour before parsing and hands out the clean JSON', () => {
    const { parser, events } = collect();
    parser.push(`${ESC}[2m${RESULT}${ESC}[0m\r\n  ${INIT}  \n`);
    expect(events).toEqual([
      { kind: 'message', type: 'result', line: RESULT },
      { kind: 'message', type: 'system', line: INIT },
    ]);
  });

  it('passes other lines on as text, stripped and raw, and skips blank ones', () => {
    const { parser, events } = collect();
    parser.push(
      `${ESC}[33mwarning: slow${ESC}[0m\n\n   \r\n${ESC}[0m\n[1,2]\n"str"\n42\n{not json}\n{"a":1} tail\n`,
    );
    expect(events).toEqual([
      { kind: 'text', text: 'warning: slow', raw: `${ESC}[33mwarning: slow${ESC}[0m` },
      { kind: 'text', text: '[1,2]', raw: '[1,2]' },
      { kind: 'text', text: '"str"', raw: '"str"' },
      { kind: 'text', text: '42', raw: '42' },
      { kind: 'text', text: '{not json}', raw: '{not json}' },
      { kind: 'text', text: '{"a":1} tail', raw: '{"a":1} tail' },
    ]);
  });

  it('delivers JSON objects of unknown kinds as unknown messages', () => {
    const { parser, messages } = collect();
    parser.push('{"type":"stream_event","event":{}}\n{}\n');
    expect(messages).toEqual([
      { type: 'unknown', raw: { type: 'stream_event', event: {} } },
      { type: 'unknown', raw: {} },
    ]);
  });

  it('delivers a last line without a line feed at end()', () => {
    const { parser, events } = collect();
    parser.push(RESULT);
    expect(events).toEqual([]);
    parser.end();
    expect(events).toEqual([{ kind: 'message', type: 'result', line: RESULT }]);
    parser.end();
    expect(events).toHaveLength(1);
  });

  it('can be fed again after end()', () => {
    const { parser, texts } = collect();
    parser.push('first');
    parser.end();
    parser.push('second\n');
    expect(texts()).toEqual(['first', 'second']);
  });

  it('parses a line exactly as long as the limit', () => {
    const line = `{"type":"x","p":"${'a'.repeat(20)}"}`;
    const { parser, messages, texts } = collect({ maxLineLength: line.length });
    parser.push(`${line}\r\n`);
    expect(messages).toHaveLength(1);
    expect(texts()).toEqual([]);
  });

  it('sends an over-long line out as text pieces, without parsing it', () => {
    const line = `{"type":"x","p":"${'a'.repeat(20)}"}`;
    const { parser, messages, texts } = collect({ maxLineLength: 10 });
    parser.push(`${line}\n{"y":1}\n`);
    expect(messages).toEqual([{ type: 'unknown', raw: { y: 1 } }]);
    expect(texts().join('')).toBe(line);
    expect(texts().every((piece) => piece.length <= 10)).toBe(true);
  });

  it('does not hold back an over-long line while it arrives', () => {
    const { parser, texts } = collect({ maxLineLength: 10 });
    parser.push('a'.repeat(15));
    expect(texts()).toEqual(['aaaaaaaaaa']);
    parser.push('b'.repeat(14));
    expect(texts()).toEqual(['aaaaaaaaaa', 'aaaaabbbbb']);
    parser.push('c\r\n');
    expect(texts()).toEqual(['aaaaaaaaaa', 'aaaaabbbbb', 'bbbbbbbbbc']);
    parser.push('{"z":1}\n');
    expect(texts()).toHaveLength(3);
  });

  it('keeps at most one piece of an over-long line in memory, fed in small chunks', () => {
    const { parser, texts } = collect({ maxLineLength: 8 });
    for (let i = 0; i < 100; i++) parser.push('0123456789');
    expect(texts().join('').length).toBeGreaterThanOrEqual(1000 - 8);
    parser.push('\n');
    expect(texts().join('')).toBe('0123456789'.repeat(100));
  });

  it('does not leave a lone piece for the \\r of an over-long CRLF line', () => {
    const { parser, texts } = collect({ maxLineLength: 10 });
    parser.push(`${'a'.repeat(10)}\r`);
    parser.push('\n');
    expect(texts()).toEqual(['aaaaaaaaaa']);
  });

  it('never cuts a surrogate pair between pieces', () => {
    const { parser, texts } = collect({ maxLineLength: 3 });
    parser.push(`${'😀'.repeat(5)}\n`);
    expect(texts().join('')).toBe('😀'.repeat(5));
    for (const piece of texts()) expect(piece).toMatch(/^(?:😀)+$/u);
  });

  it('cuts over-long lines of mixed text and emoji into whole pieces, however they arrive', () => {
    let seed = 3;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
    for (let round = 0; round < 300; round++) {
      const max = 2 + Math.floor(random() * 6);
      let line = '';
      const units = 1 + Math.floor(random() * 40);
      for (let i = 0; i < units; i++) line += random() < 0.5 ? 'a' : '😀';
      const stream = `${line}\n`;
      const { parser, texts } = collect({ maxLineLength: max });
      for (let i = 0; i < stream.length; ) {
        const size = 1 + Math.floor(random() * 9);
        parser.push(stream.slice(i, i + size));
        i += size;
      }
      parser.end();
      if (line.length > max) {
        expect(texts().join(''), line).toBe(line);
        for (const piece of texts()) {
          expect(piece.length).toBeLessThanOrEqual(max);
          expect(piece).not.toMatch(loneSurrogate);
        }
      }
    }
  });

  it('parses results of several MiB under the default limit', () => {
    const big = 'x'.repeat(4 * 1024 * 1024);
    const { parser, messages } = collect();
    parser.push(`{"type":"result","subtype":"success","is_error":false,"result":"${big}"}\n`);
    const [message] = messages;
    expect(message?.type === 'result' ? message.result?.length : null).toBe(big.length);
    expect(MAX_LINE_LENGTH).toBe(8 * 1024 * 1024);
  });

  it('rejects a limit too small to hold a surrogate pair', () => {
    const callbacks = { onMessage: () => {}, onText: () => {} };
    expect(() => new StreamJsonParser(callbacks, { maxLineLength: 1 })).toThrow(RangeError);
    expect(() => new StreamJsonParser(callbacks, { maxLineLength: 2.5 })).toThrow(/maxLineLength/);
  });

  it('keeps the lines after a throwing callback for the next push', () => {
    let fail = true;
    const seen: string[] = [];
    const parser = new StreamJsonParser({
      onMessage: () => {},
      onText: (text) => {
        if (fail) {
          fail = false;
          throw new Error('listener bug');
        }
        seen.push(text);
      },
    });
    expect(() => parser.push('one\ntwo\nthr')).toThrow('listener bug');
    expect(seen).toEqual([]);
    parser.push('ee\n');
    expect(seen).toEqual(['two', 'three']);
  });

  it('delivers kept lines at end() too', () => {
    const seen: string[] = [];
    let fail = true;
    const parser = new StreamJsonParser({
      onMessage: () => {},
      onText: (text) => {
        if (fail) {
          fail = false;
          throw new Error('listener bug');
        }
        seen.push(text);
      },
    });
    expect(() => parser.push('one\ntwo\nlast')).toThrow('listener bug');
    parser.end();
    expect(seen).toEqual(['two', 'last']);
  });
});
