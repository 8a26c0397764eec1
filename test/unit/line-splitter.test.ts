import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../src/supervisor/output/line-splitter.js';

const DEFAULT_MAX = 1024;

/** Feeds `chunks` (text is UTF-8 encoded) and returns every emitted line, with end() applied. */
function split(chunks: Array<string | Buffer | number[]>, maxLineBytes = DEFAULT_MAX, end = true): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter(maxLineBytes, (line) => lines.push(line));
  for (const chunk of chunks) {
    splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
  }
  if (end) splitter.end();
  return lines;
}

/** Every way of cutting `data` into two chunks must give the same lines as one chunk. */
function expectChunkingInvariant(data: Buffer, maxLineBytes: number): string[] {
  const whole = split([data], maxLineBytes);
  for (let cut = 0; cut <= data.length; cut++) {
    expect(split([data.subarray(0, cut), data.subarray(cut)], maxLineBytes), `cut at ${cut}`).toEqual(whole);
  }
  const bytes = [...data].map((b) => Buffer.from([b]));
  expect(split(bytes, maxLineBytes), 'byte by byte').toEqual(whole);
  return whole;
}

describe('LineSplitter framing', () => {
  it.each<[string, string[]]>([
    ['a\nb\n', ['a', 'b']],
    ['a\r\nb\r\n', ['a', 'b']],
    ['a\nb', ['a', 'b']],
    ['a\r\nb\r', ['a', 'b']],
    ['\n', ['']],
    ['\r\n', ['']],
    ['\n\n\n', ['', '', '']],
    ['a\n\nb\n', ['a', '', 'b']],
    ['a\r\r\n', ['a\r']],
    ['a\rb\n', ['a\rb']],
    ['\ra\n', ['\ra']],
    ['a\r\rb\r\n', ['a\r\rb']],
    ['\r', ['']],
    ['\r\r', ['\r']],
    ['x', ['x']],
    ['', []],
    ['tab\there \n', ['tab\there ']],
    ['no newline at all', ['no newline at all']],
  ])('splits %j', (data, expected) => {
    expect(split([data])).toEqual(expected);
  });

  it('emits complete lines at once and holds the unterminated tail until end()', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter(DEFAULT_MAX, (line) => lines.push(line));
    splitter.push(Buffer.from('one\ntwo\nthr'));
    expect(lines).toEqual(['one', 'two']);
    splitter.push(Buffer.from('ee'));
    expect(lines).toEqual(['one', 'two']);
    splitter.push(Buffer.from('\r'));
    expect(lines).toEqual(['one', 'two']);
    splitter.push(Buffer.from('\nfour'));
    expect(lines).toEqual(['one', 'two', 'three']);
    splitter.end();
    expect(lines).toEqual(['one', 'two', 'three', 'four']);
  });

  it('emits nothing more on end() after a final newline, nor on a second end()', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter(DEFAULT_MAX, (line) => lines.push(line));
    splitter.push(Buffer.from('done\n'));
    splitter.end();
    splitter.end();
    expect(lines).toEqual(['done']);
  });

  it('ignores empty chunks', () => {
    expect(split(['', 'a', '', '\n', ''])).toEqual(['a']);
  });

  it('keeps CRLF handling when the CR and LF arrive in different chunks', () => {
    expect(split(['abc\r', '\ndef\r', '\n'])).toEqual(['abc', 'def']);
    expect(split(['abc', '\r', '\n'])).toEqual(['abc']);
    expect(split(['\r', '\n'])).toEqual(['']);
  });

  it('splits many lines in one chunk', () => {
    const expected = Array.from({ length: 10_000 }, (_, i) => `line ${i}${i % 3 === 0 ? '' : ' x'}`);
    const data = expected.map((line, i) => (i % 2 === 0 ? `${line}\n` : `${line}\r\n`)).join('');
    expect(split([data])).toEqual(expected);
  });

  it('joins a line spread across many chunks', () => {
    const line = 'abcdefghij'.repeat(50);
    const chunks = [...(line.match(/.{1,7}/g) ?? []), '\n', 'next'];
    expect(chunks.length).toBeGreaterThan(70);
    expect(split(chunks)).toEqual([line, 'next']);
  });

  it('does not depend on where the chunks are cut', () => {
    const data = Buffer.from('α\r\nβ\n\n\rγ\r\r\n€😀 end\r');
    expect(expectChunkingInvariant(data, DEFAULT_MAX)).toEqual(['α', 'β', '', '\rγ\r', '€😀 end']);
  });
});

describe('LineSplitter decoding', () => {
  it('decodes a multi-byte character split across chunks', () => {
    const euro = Buffer.from('€'); // e2 82 ac
    const emoji = Buffer.from('😀'); // f0 9f 98 80
    expect(split([euro.subarray(0, 1), euro.subarray(1), Buffer.from('\n')])).toEqual(['€']);
    expect(split([euro.subarray(0, 2), Buffer.concat([euro.subarray(2), Buffer.from('\n')])])).toEqual(['€']);
    expect(split([...emoji].map((b) => [b]).concat([[0x0a]]))).toEqual(['😀']);
    expect(
      split([Buffer.from('a'), emoji.subarray(0, 3), Buffer.concat([emoji.subarray(3), Buffer.from('b')])]),
    ).toEqual(['a😀b']);
  });

  it('replaces invalid UTF-8 with U+FFFD', () => {
    expect(split([[0x61, 0xff, 0x62, 0x0a]])).toEqual(['a\ufffdb']);
    expect(split([[0xc3, 0x0a, 0xa9, 0x0a]])).toEqual(['\ufffd', '\ufffd']);
    expect(split([[0x80, 0x80, 0x0a]])).toEqual(['\ufffd\ufffd']);
    // A truncated sequence at the end of the stream.
    expect(split([[0x41, 0xe2, 0x82]])).toEqual(['A\ufffd']);
    // Encoded surrogates are not valid UTF-8.
    expect(split([[0xed, 0xa0, 0x80, 0x0a]])).toEqual(['\ufffd\ufffd\ufffd']);
  });

  it('keeps a NUL byte and other control characters', () => {
    expect(split([[0x61, 0x00, 0x1b, 0x5b, 0x6d, 0x0a]])).toEqual(['a\u0000\u001b[m']);
  });
});

describe('LineSplitter long lines', () => {
  it('rejects a limit below one UTF-8 character', () => {
    expect(() => new LineSplitter(3, () => {})).toThrow(RangeError);
    expect(() => new LineSplitter(4.5, () => {})).toThrow(RangeError);
    expect(() => new LineSplitter(Number.NaN, () => {})).toThrow(RangeError);
    expect(() => new LineSplitter(4, () => {})).not.toThrow();
  });

  it('emits a line of exactly the limit whole', () => {
    expect(split(['abcd\n'], 4)).toEqual(['abcd']);
    expect(split(['abcd\r\n'], 4)).toEqual(['abcd']);
    expect(split(['abcd'], 4)).toEqual(['abcd']);
    expect(split(['abcd\r'], 4)).toEqual(['abcd']);
  });

  it('cuts a longer line into pieces of the limit', () => {
    expect(split(['abcdefghij\n'], 4)).toEqual(['abcd', 'efgh', 'ij']);
    expect(split(['abcdefgh\n'], 4)).toEqual(['abcd', 'efgh']);
    expect(split(['abcdefghi\r\nz\n'], 4)).toEqual(['abcd', 'efgh', 'i', 'z']);
    expect(split(['abcdefgh\r\n'], 4)).toEqual(['abcd', 'efgh']);
  });

  it('trims a CR only at the real line end, never at a piece boundary', () => {
    expect(split(['abc\rdefg\n'], 4)).toEqual(['abc\r', 'defg']);
    expect(split(['abcd\refgh\n'], 4)).toEqual(['abcd', '\refg', 'h']);
  });

  it('backs up to a character boundary', () => {
    // 'ab' + '€' (3 bytes) + 'cd': a cut at 4 would fall inside the euro sign.
    expect(split(['ab€cd\n'], 4)).toEqual(['ab', '€c', 'd']);
    // Four-byte emoji: never split, each piece at most 5 bytes.
    expect(split(['a😀😀b\n'], 5)).toEqual(['a😀', '😀b']);
    expect(split(['😀😀😀\n'], 4)).toEqual(['😀', '😀', '😀']);
    expect(split(['😀😀😀\n'], 7)).toEqual(['😀', '😀', '😀']);
    expect(split(['😀😀😀\n'], 8)).toEqual(['😀😀', '😀']);
    // A character that ends exactly at the limit stays in the piece.
    expect(split(['a€bcd\n'], 4)).toEqual(['a€', 'bcd']);
  });

  it('never emits more than the limit and loses no bytes', () => {
    const text = 'Zürich → 東京 😀 ok '.repeat(40);
    for (const max of [4, 5, 6, 7, 8, 13, 64, 100]) {
      const pieces = split([`${text}\n`], max);
      for (const piece of pieces) {
        expect(Buffer.byteLength(piece)).toBeLessThanOrEqual(max);
        expect(piece).not.toContain('\ufffd');
      }
      expect(pieces.join('')).toBe(text);
    }
  });

  it('cuts invalid bytes anywhere instead of backing up past them', () => {
    const continuation = Array.from({ length: 10 }, () => 0x80);
    const pieces = split([[...continuation, 0x0a]], 4);
    expect(pieces).toEqual(['\ufffd'.repeat(4), '\ufffd'.repeat(4), '\ufffd'.repeat(2)]);
  });

  it('emits pieces while the line is still arriving, so reading never stalls', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter(8, (line) => lines.push(line));
    splitter.push(Buffer.from('aaaaaaaa'));
    expect(lines).toEqual([]); // could still end in "\r\n"
    splitter.push(Buffer.from('b'));
    expect(lines).toEqual([]);
    splitter.push(Buffer.from('bbbbbbbbb'));
    expect(lines).toEqual(['aaaaaaaa', 'bbbbbbbb']);
    splitter.push(Buffer.from('c\r\n'));
    expect(lines).toEqual(['aaaaaaaa', 'bbbbbbbb', 'bbc']);
  });

  it('bounds what it holds for a line that never ends', () => {
    const lines: string[] = [];
    const max = 1000;
    const splitter = new LineSplitter(max, (line) => lines.push(line));
    const chunk = Buffer.alloc(333, 'x');
    for (let i = 0; i < 3000; i++) splitter.push(chunk);
    splitter.end();
    expect(lines.every((line) => line.length <= max)).toBe(true);
    expect(lines.join('').length).toBe(333 * 3000);
    expect(lines.length).toBe(Math.ceil((333 * 3000) / max));
  });

  it('gives the same pieces wherever the chunks are cut', () => {
    const data = Buffer.from('ab€cdefgh\r\n😀😀x\r\r\nabcdefgh\r\nabcdefghi\r\rq');
    expect(expectChunkingInvariant(data, 4)).toEqual([
      'ab',
      '€c',
      'defg',
      'h',
      '😀',
      '😀',
      'x\r',
      'abcd',
      'efgh',
      'abcd',
      'efgh',
      'i\r\rq',
    ]);
  });

  it('copies a partial tail, so a caller reusing the chunk does not corrupt it', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter(DEFAULT_MAX, (line) => lines.push(line));
    const chunk = Buffer.from('first\nsecond');
    splitter.push(chunk);
    chunk.fill(0x21); // the tail was copied because the chunk held a newline
    splitter.push(Buffer.from(' half\n'));
    expect(lines).toEqual(['first', 'second half']);
  });
});

describe('LineSplitter throughput', () => {
  it('splits well over a million lines per second', () => {
    const line = 'an ordinary log line of about sixty bytes, 0123456789 abc\n';
    const chunk = Buffer.from(line.repeat(Math.floor(65_536 / line.length)));
    const linesPerChunk = Math.floor(65_536 / line.length);
    let count = 0;
    const splitter = new LineSplitter(65_536, () => {
      count++;
    });
    for (let i = 0; i < 50; i++) splitter.push(chunk); // warm up the JIT
    count = 0;
    const chunks = 1_000;
    const started = performance.now();
    for (let i = 0; i < chunks; i++) splitter.push(chunk);
    const seconds = (performance.now() - started) / 1000;
    expect(count).toBe(chunks * linesPerChunk);
    // Generous floor for slow CI machines; a per-byte JS loop would miss it.
    expect(count / seconds).toBeGreaterThan(1_000_000);
  });
});
