import { describe, expect, it } from 'vitest';
import {
  BoundedTextBuffer,
  DEFAULT_TRIM_RATIO,
  MAX_ALIGN_CHARS,
} from '../../src/agent/terminal/bounded-text-buffer.js';

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

describe('BoundedTextBuffer', () => {
  it('holds everything below the cap and counts UTF-8 bytes', () => {
    const buffer = new BoundedTextBuffer(100);
    for (const text of ['a', 'é', '❯', '😀', '']) buffer.append(text);
    expect(buffer.toString()).toBe('aé❯😀');
    expect(buffer.byteLength).toBe(1 + 2 + 3 + 4);
    expect(buffer.capacity).toBe(100);
    expect(buffer.trimmedBytes).toBe(0);
  });

  it('starts empty', () => {
    const buffer = new BoundedTextBuffer(10);
    expect(buffer.toString()).toBe('');
    expect(buffer.byteLength).toBe(0);
  });

  it('trims from the front to 75 % of the cap once over it', () => {
    const buffer = new BoundedTextBuffer(100);
    buffer.append('a'.repeat(60));
    buffer.append('b'.repeat(40));
    expect(buffer.byteLength).toBe(100);
    expect(buffer.trimmedBytes).toBe(0);
    buffer.append('c');
    expect(buffer.byteLength).toBe(100 * DEFAULT_TRIM_RATIO);
    expect(buffer.toString()).toBe(`${'a'.repeat(34)}${'b'.repeat(40)}c`);
    expect(buffer.trimmedBytes).toBe(26);
  });

  it('trims in amortised steps, not on every append', () => {
    const buffer = new BoundedTextBuffer(1_000);
    let trims = 0;
    let lastTrimmed = 0;
    for (let i = 0; i < 10_000; i++) {
      buffer.append('0123456789');
      if (buffer.trimmedBytes !== lastTrimmed) {
        trims++;
        lastTrimmed = buffer.trimmedBytes;
      }
    }
    // 100,000 bytes through a 1,000-byte buffer that drops 250+ bytes per trim.
    expect(trims).toBeLessThanOrEqual(100_000 / 250);
    expect(trims).toBeGreaterThan(300);
    expect(buffer.trimmedBytes + buffer.byteLength).toBe(100_000);
  });

  it('keeps its invariants under random appends', () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const pieces = ['a', 'bc', 'é', '❯ ', '😀', '漢字', '\n', '\x1b[31m', 'line\r\n'];
    for (const capacity of [1, 3, 7, 64, 1_000]) {
      const buffer = new BoundedTextBuffer(capacity);
      let all = '';
      for (let i = 0; i < 2_000; i++) {
        let text = '';
        const count = Math.floor(random() * 6);
        for (let j = 0; j < count; j++) text += pieces[Math.floor(random() * pieces.length)] ?? '';
        buffer.append(text);
        all += text;
        const held = buffer.toString();
        expect(buffer.byteLength).toBe(bytes(held));
        expect(buffer.byteLength).toBeLessThanOrEqual(capacity);
        expect(all.endsWith(held)).toBe(true);
        expect(held).not.toMatch(LONE_SURROGATE);
        expect(buffer.trimmedBytes + buffer.byteLength).toBe(bytes(all));
      }
    }
  });

  it('never splits a surrogate pair at a cut', () => {
    const buffer = new BoundedTextBuffer(10);
    buffer.append('😀😀😀');
    buffer.append('x');
    // 13 bytes > 10: keep at most 7 bytes, which holds one emoji and the x, not half of another.
    expect(buffer.toString()).toBe('😀x');
    expect(buffer.byteLength).toBe(5);
  });

  it('keeps the tail of a single append larger than the cap', () => {
    const buffer = new BoundedTextBuffer(100);
    const text = Array.from({ length: 100 }, (_, i) => String(i).padStart(3, '0')).join('');
    buffer.append(text);
    expect(buffer.toString()).toBe(text.slice(-75));
    expect(buffer.trimmedBytes).toBe(300 - 75);
  });

  it('honours trimRatio', () => {
    const buffer = new BoundedTextBuffer(100, { trimRatio: 0.5 });
    buffer.append('x'.repeat(101));
    expect(buffer.byteLength).toBe(50);
    const full = new BoundedTextBuffer(100, { trimRatio: 1 });
    full.append('x'.repeat(101));
    expect(full.byteLength).toBe(100);
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('rejects capacity %s', (capacity) => {
    expect(() => new BoundedTextBuffer(capacity)).toThrow(/capacity/);
  });

  it.each([0, -0.5, 1.01, Number.NaN])('rejects trimRatio %s', (trimRatio) => {
    expect(() => new BoundedTextBuffer(100, { trimRatio })).toThrow(/trimRatio/);
  });

  it('merges many small appends correctly', () => {
    const buffer = new BoundedTextBuffer(1_000_000);
    let expected = '';
    for (let i = 0; i < 5_000; i++) {
      const text = String.fromCharCode(0x61 + (i % 26));
      buffer.append(text);
      expected += text;
      if (i % 777 === 0) expect(buffer.toString()).toBe(expected);
    }
    expect(buffer.toString()).toBe(expected);
    expect(buffer.toString()).toBe(expected);
  });

  it('clear() empties the buffer and resets the counters', () => {
    const buffer = new BoundedTextBuffer(10);
    buffer.append('0123456789abc');
    expect(buffer.trimmedBytes).toBeGreaterThan(0);
    buffer.clear();
    expect(buffer.toString()).toBe('');
    expect(buffer.byteLength).toBe(0);
    expect(buffer.trimmedBytes).toBe(0);
    buffer.append('new');
    expect(buffer.toString()).toBe('new');
  });

  describe('startAtLine', () => {
    it('moves the cut to just after the next line feed', () => {
      const buffer = new BoundedTextBuffer(100, { startAtLine: true });
      // 122 bytes: keeping 75 would cut at "2;1;2;3m", inside the escape sequence of line B.
      const lines = [`${'a'.repeat(40)}\n`, '\x1b[38;2;1;2;3mline B\n', `${'z'.repeat(60)}\n`];
      for (const line of lines) buffer.append(line);
      expect(buffer.toString()).toBe(lines[2]);
      expect(buffer.byteLength).toBe(61);
      expect(buffer.trimmedBytes).toBe(122 - 61);
    });

    it('keeps a cut that already falls at a line start', () => {
      const buffer = new BoundedTextBuffer(100, { startAtLine: true });
      buffer.append(`${'a'.repeat(25)}\n`.slice(0, 25));
      buffer.append('\n');
      buffer.append(`${'b'.repeat(10)}\n${'c'.repeat(63)}\n`);
      expect(buffer.toString()).toBe(`${'b'.repeat(10)}\n${'c'.repeat(63)}\n`);
    });

    it('falls back to the next escape sequence when no line feed is near', () => {
      const buffer = new BoundedTextBuffer(100, { startAtLine: true });
      buffer.append(`${'a'.repeat(30)}\x1b[31m${'b'.repeat(70)}`);
      expect(buffer.toString()).toBe(`\x1b[31m${'b'.repeat(70)}`.slice(-75));
      const screen = new BoundedTextBuffer(100, { startAtLine: true });
      // Keeping 75 of these 137 bytes cuts 14 characters before `ESC[3;1H`.
      screen.append(`${'a'.repeat(30)}\x1b[2;1H${'b'.repeat(40)}\x1b[3;1H${'c'.repeat(55)}`);
      expect(screen.toString()).toBe(`\x1b[3;1H${'c'.repeat(55)}`);
    });

    it('keeps the plain cut when neither is near, and never empties the buffer', () => {
      const buffer = new BoundedTextBuffer(100, { startAtLine: true });
      buffer.append(`${'a'.repeat(200)}\n`);
      expect(buffer.toString()).toBe(`${'a'.repeat(74)}\n`);
      const long = new BoundedTextBuffer(100_000, { startAtLine: true });
      long.append(`${'x'.repeat(100_000)}\n${'y'.repeat(10)}`);
      expect(long.byteLength).toBe(75_000);
      expect(MAX_ALIGN_CHARS).toBeLessThan(75_000);
    });
  });
});
