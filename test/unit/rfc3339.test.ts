import { describe, expect, it } from 'vitest';
import { formatRfc3339, parseRfc3339 } from '../../src/util/rfc3339.js';

const BASE = 1_700_000_000_000; // 2023-11-14T22:13:20Z

describe('formatRfc3339', () => {
  it.each<[number, string]>([
    [BASE, '2023-11-14T22:13:20Z'],
    [BASE + 123, '2023-11-14T22:13:20.123Z'],
    [BASE + 120, '2023-11-14T22:13:20.12Z'],
    [BASE + 100, '2023-11-14T22:13:20.1Z'],
    [BASE + 1, '2023-11-14T22:13:20.001Z'],
    [BASE + 999, '2023-11-14T22:13:20.999Z'],
    [BASE + 0.5, '2023-11-14T22:13:20.0005Z'],
    [BASE + 1.25, '2023-11-14T22:13:20.00125Z'],
    [0, '1970-01-01T00:00:00Z'],
    [0.000001, '1970-01-01T00:00:00.000000001Z'],
    [123.456789, '1970-01-01T00:00:00.123456789Z'],
    [0.001, '1970-01-01T00:00:00.000001Z'],
    [0.0000004, '1970-01-01T00:00:00Z'],
    [0.9999996, '1970-01-01T00:00:00.001Z'],
    [999.9999996, '1970-01-01T00:00:01Z'],
    [-1, '1969-12-31T23:59:59.999Z'],
    [-1000, '1969-12-31T23:59:59Z'],
    [-0.5, '1969-12-31T23:59:59.9995Z'],
    [951_782_400_000, '2000-02-29T00:00:00Z'],
    [1_709_251_199_999, '2024-02-29T23:59:59.999Z'],
    [253_402_300_799_999, '9999-12-31T23:59:59.999Z'],
    [-62_167_219_200_000, '0000-01-01T00:00:00Z'],
    [-62_135_596_800_000, '0001-01-01T00:00:00Z'],
  ])('formats %s as %j', (ms, expected) => {
    expect(formatRfc3339(ms)).toBe(expected);
  });

  it('agrees with Date#toISOString on whole milliseconds across the calendar', () => {
    // A prime step walks every month, leap day and time of day between 1900 and 2100.
    const mismatches: string[] = [];
    const step = 86_400_000 * 37 + 3_600_000 * 7 + 60_000 * 13 + 1_000 * 17 + 371;
    for (let ms = Date.UTC(1900, 0, 1); ms < Date.UTC(2100, 0, 1); ms += step) {
      const iso = new Date(ms).toISOString(); // always .sssZ
      const expected = iso.replace(/\.?0*Z$/, 'Z');
      if (formatRfc3339(ms) !== expected) mismatches.push(expected);
    }
    expect(mismatches).toEqual([]);
  });

  it('gives the same text when called again for a different time in the same second', () => {
    expect(formatRfc3339(BASE + 5)).toBe('2023-11-14T22:13:20.005Z');
    expect(formatRfc3339(BASE + 6)).toBe('2023-11-14T22:13:20.006Z');
    expect(formatRfc3339(BASE + 1000)).toBe('2023-11-14T22:13:21Z');
    expect(formatRfc3339(BASE + 5)).toBe('2023-11-14T22:13:20.005Z');
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, -62_167_219_200_001, 253_402_300_800_000])(
    'rejects %s',
    (ms) => {
      expect(() => formatRfc3339(ms)).toThrow(RangeError);
    },
  );
});

describe('parseRfc3339', () => {
  it.each<[string, number]>([
    ['2023-11-14T22:13:20Z', BASE],
    ['2023-11-14T22:13:20.123Z', BASE + 123],
    ['2023-11-14T22:13:20.1Z', BASE + 100],
    ['2023-11-14T22:13:20.12Z', BASE + 120],
    ['2023-11-14T22:13:20.000Z', BASE],
    ['2023-11-14T22:13:20.0005Z', BASE + 0.5],
    ['2023-11-14T23:13:20+01:00', BASE],
    ['2023-11-14T17:43:20-04:30', BASE],
    ['2023-11-15T00:13:20.5+02:00', BASE + 500],
    ['2023-11-14T22:13:20+00:00', BASE],
    ['2023-11-14T22:13:20-00:00', BASE],
    ['1970-01-01T00:00:00Z', 0],
    ['1970-01-01T00:00:00.000000001Z', 0.000001],
    ['1970-01-01T00:00:00.123456789Z', 123.456789],
    ['1969-12-31T23:59:59.999Z', -1],
    ['2000-02-29T00:00:00Z', 951_782_400_000],
    ['2024-02-29T12:00:00Z', Date.UTC(2024, 1, 29, 12)],
    ['1900-03-01T00:00:00Z', Date.UTC(1900, 2, 1)],
    ['0000-02-29T00:00:00Z', -62_162_121_600_000],
    ['0000-01-01T00:00:00Z', -62_167_219_200_000],
    ['9999-12-31T23:59:59Z', 253_402_300_799_000],
    ['2026-02-19T12:00:00.123456789Z', Date.UTC(2026, 1, 19, 12) + 123.456789],
  ])('parses %j', (text, expected) => {
    expect(parseRfc3339(text)).toBe(expected);
  });

  it.each<[string, number]>([
    ['.1', 100],
    ['.12', 120],
    ['.123', 123],
    ['.1234', 123.4],
    ['.12345', 123.45],
    ['.123456', 123.456],
    ['.1234567', 123.4567],
    ['.12345678', 123.45678],
    ['.123456789', 123.456789],
  ])('parses a fraction of %j seconds as %s ms', (fraction, ms) => {
    expect(parseRfc3339(`1970-01-01T00:00:00${fraction}Z`)).toBe(ms);
  });

  describe("Go's generic-parser leniencies, kept for wire compatibility", () => {
    it.each<[string, number]>([
      // Digits past nanoseconds are truncated, not rounded.
      ['1970-01-01T00:00:00.1234567899999Z', 123.456789],
      ['1970-01-01T00:00:00,5Z', 500],
      ['2023-11-14T2:13:20Z', Date.UTC(2023, 10, 14, 2, 13, 20)],
      ['2023-11-15T22:13:20+24:00', BASE],
      ['2023-11-14T23:13:20+00:60', BASE],
    ])('accepts %j', (text, expected) => {
      expect(parseRfc3339(text)).toBe(expected);
    });
  });

  it.each([
    '',
    'Z',
    '2023-11-14',
    '2023-11-14T22:13Z',
    '2023-11-14T22:13:20',
    '2023-11-14T22:13:20.123',
    '2023-11-14T22:13:20+01',
    '2023-11-14T22:13:20+0100',
    '2023-11-14T22:13:20+1:00',
    '2023-11-14T22:13:20 +01:00',
    '2023-11-14T22:13:20*01:00',
    '2023-11-14T22:13:20+01:0a',
    '2023-11-14T22:13:20+25:00',
    '2023-11-14T22:13:20+01:61',
    '2023-11-14t22:13:20Z',
    '2023-11-14T22:13:20z',
    '2023-11-14 22:13:20Z',
    '2023/11/14T22:13:20Z',
    '2023-11-14T22-13-20Z',
    '2023-11-14T22:13:20ZZ',
    '2023-11-14T22:13:20Z ',
    ' 2023-11-14T22:13:20Z',
    '2023-11-14T22:13:20.Z',
    '2023-11-14T22:13:20.xZ',
    '2023-11-14T22:13:20..1Z',
    '2023-11-14T22:13:20.1.2Z',
    '2023-11-14T22:13:20+01:00Z',
    '2023-13-14T22:13:20Z',
    '2023-00-14T22:13:20Z',
    '2023-11-32T22:13:20Z',
    '2023-11-00T22:13:20Z',
    '2023-11-31T22:13:20Z',
    '2023-02-29T22:13:20Z',
    '2023-02-30T22:13:20Z',
    '1900-02-29T00:00:00Z',
    '2023-11-14T24:00:00Z',
    '2023-11-14T22:60:20Z',
    '2023-11-14T22:13:60Z',
    '2023-11-14T123:13:20Z',
    '2023-11-14T22:1:20Z',
    '2023-11-14T22:13:2Z',
    '2023-1-14T22:13:20Z',
    '2023-11-4T22:13:20Z',
    '023-11-14T22:13:20Z',
    '+2023-11-14T22:13:20Z',
    '12023-11-14T22:13:20Z',
    '2023-11-14T22:13:20.123456789',
    '2023-11-14T-2:13:20Z',
    '２０２３-11-14T22:13:20Z',
  ])('rejects %j', (text) => {
    expect(parseRfc3339(text)).toBeNull();
  });

  it('stays linear on long hostile input', () => {
    const text = `2023-11-14T22:13:20.${'1'.repeat(1_000_000)}x`;
    const started = performance.now();
    expect(parseRfc3339(text)).toBeNull();
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describe('round trip', () => {
  it.each([
    '2023-11-14T22:13:20Z',
    '2023-11-14T22:13:20.123Z',
    '2023-11-14T22:13:20.12Z',
    '2023-11-14T22:13:20.5Z',
    '2026-02-19T12:00:00.001Z',
    '1970-01-01T00:00:00.123456789Z',
    '1970-01-01T00:00:00.000000001Z',
    '1969-12-31T23:59:59.999Z',
    '0000-01-01T00:00:00Z',
    '9999-12-31T23:59:59.999Z',
  ])('%j survives parse and format', (text) => {
    const ms = parseRfc3339(text);
    expect(ms).not.toBeNull();
    expect(formatRfc3339(ms ?? Number.NaN)).toBe(text);
  });

  it('normalises offsets and trailing zeros to canonical UTC', () => {
    expect(formatRfc3339(parseRfc3339('2023-11-15T00:13:20.500+02:00') ?? Number.NaN)).toBe(
      '2023-11-14T22:13:20.5Z',
    );
  });

  it('round-trips every millisecond value of a day at a one-second-and-a-bit step', () => {
    const mismatches: number[] = [];
    for (let ms = BASE; ms < BASE + 86_400_000; ms += 1_001) {
      if (parseRfc3339(formatRfc3339(ms)) !== ms) mismatches.push(ms);
    }
    expect(mismatches).toEqual([]);
  });

  it('keeps sub-millisecond precision as far as a double holds it', () => {
    // Near 2026 one unit in the last place of epoch milliseconds is 2^-12 ms (about 244 ns).
    const ms = parseRfc3339('2026-02-19T12:00:00.123456Z') ?? Number.NaN;
    const text = formatRfc3339(ms);
    expect(text).toMatch(/^2026-02-19T12:00:00\.\d{1,9}Z$/);
    const nanos = Number(text.slice(20, -1).padEnd(9, '0'));
    expect(Math.abs(nanos - 123_456_000)).toBeLessThanOrEqual(122);
  });
});
