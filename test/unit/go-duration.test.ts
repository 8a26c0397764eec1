import { describe, expect, it } from 'vitest';
import {
  formatGoDuration,
  InvalidDurationError,
  nanosToMillis,
  parseGoDuration,
} from '../../src/util/go-duration.js';

const MS = 1_000_000n;
const SECOND = 1_000_000_000n;
const MINUTE = 60n * SECOND;
const HOUR = 60n * MINUTE;
const MAX_INT64 = (1n << 63n) - 1n;
const MIN_INT64 = -(1n << 63n);

function parseError(text: string): InvalidDurationError {
  try {
    parseGoDuration(text);
  } catch (error) {
    if (error instanceof InvalidDurationError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
}

describe('parseGoDuration', () => {
  it.each<[string, bigint]>([
    ['0', 0n],
    ['+0', 0n],
    ['-0', 0n],
    ['0s', 0n],
    ['0.0s', 0n],
    ['5s', 5n * SECOND],
    ['+5s', 5n * SECOND],
    ['-2s', -2n * SECOND],
    ['300ms', 300n * MS],
    ['5m', 5n * MINUTE],
    ['90s', 90n * SECOND],
    ['1h', HOUR],
    ['1.5h', HOUR + 30n * MINUTE],
    ['-1.5h', -(HOUR + 30n * MINUTE)],
    ['2h45m', 2n * HOUR + 45n * MINUTE],
    ['1h2m3s4ms5us6ns', HOUR + 2n * MINUTE + 3n * SECOND + 4n * MS + 5_006n],
    ['1m30s', 90n * SECOND],
    ['1s1s', 2n * SECOND],
    ['.5s', 500n * MS],
    ['1.s', SECOND],
    ['1.5s', 1_500n * MS],
    ['1ns', 1n],
    ['1us', 1_000n],
    ['1\u00b5s', 1_000n],
    ['1\u03bcs', 1_000n],
    ['1.000000001s', 1_000_000_001n],
    ['1.0000000019s', 1_000_000_001n],
    ['0.9ns', 0n],
    ['1.9ns', 1n],
    ['007s', 7n * SECOND],
    ['9223372036854775807ns', MAX_INT64],
    ['-9223372036854775808ns', MIN_INT64],
    ['2562047h47m16.854775807s', MAX_INT64],
    ['-2562047h47m16.854775808s', MIN_INT64],
    ['0.100000000000000000000h', 6n * MINUTE],
    ['1.00000000000000000000000000000001s', SECOND],
  ])('parses %j', (text, expected) => {
    expect(parseGoDuration(text)).toBe(expected);
  });

  it('mirrors Go float64 arithmetic for fractions of a large unit', () => {
    // Exact decimal arithmetic gives 59839258320 ns; Go computes f * (unit / 1e14) in float64 and
    // truncates 59839258319.99999, so the original reads back one nanosecond less.
    expect(parseGoDuration('0.01662201620000h')).toBe(59_839_258_319n);
    expect(parseGoDuration('0.55053087030000h')).toBe(1_981_911_133_079n);
    // Where the float product is exact the result is the exact truncation.
    expect(parseGoDuration('1.000000000001h')).toBe(HOUR + 3n);
    expect(parseGoDuration('0.333333333333h')).toBe(1_199_999_999_998n);
  });

  it.each<[string, string]>([
    ['', 'time: invalid duration ""'],
    ['+', 'time: invalid duration "+"'],
    ['-', 'time: invalid duration "-"'],
    ['5', 'time: missing unit in duration "5"'],
    ['00', 'time: missing unit in duration "00"'],
    ['1.5', 'time: missing unit in duration "1.5"'],
    ['1s5', 'time: missing unit in duration "1s5"'],
    ['1x', 'time: unknown unit "x" in duration "1x"'],
    ['1S', 'time: unknown unit "S" in duration "1S"'],
    ['1 s', 'time: unknown unit " s" in duration "1 s"'],
    ['1s ', 'time: unknown unit "s " in duration "1s "'],
    ['1d', 'time: unknown unit "d" in duration "1d"'],
    ['h', 'time: invalid duration "h"'],
    [' 1s', 'time: invalid duration " 1s"'],
    ['.s', 'time: invalid duration ".s"'],
    ['-.s', 'time: invalid duration "-.s"'],
    ['1.2.3s', 'time: missing unit in duration "1.2.3s"'],
    ['--1s', 'time: invalid duration "--1s"'],
    ['+-1s', 'time: invalid duration "+-1s"'],
    ['1s-1s', 'time: unknown unit "s-" in duration "1s-1s"'],
    ['9223372036854775808ns', 'time: invalid duration "9223372036854775808ns"'],
    ['-9223372036854775809ns', 'time: invalid duration "-9223372036854775809ns"'],
    ['2562048h', 'time: invalid duration "2562048h"'],
    ['9223372036854775807ns1ns', 'time: invalid duration "9223372036854775807ns1ns"'],
    ['99999999999999999999s', 'time: invalid duration "99999999999999999999s"'],
    ['1\u00b5', 'time: unknown unit "\\xc2\\xb5" in duration "1\\xc2\\xb5"'],
    ['1"s', 'time: unknown unit "\\"s" in duration "1\\"s"'],
    ['1\ns', 'time: unknown unit "\\x0as" in duration "1\\x0as"'],
  ])('rejects %j', (text, message) => {
    const error = parseError(text);
    expect(error.message).toBe(message);
    expect(error.input).toBe(text);
    expect(error.code).toBe('ERR_INVALID_DURATION');
    expect(error.name).toBe('InvalidDurationError');
    expect(error).toBeInstanceOf(Error);
  });
});

describe('formatGoDuration', () => {
  it.each<[bigint, string]>([
    [0n, '0s'],
    [1n, '1ns'],
    [999n, '999ns'],
    [-999n, '-999ns'],
    [1_000n, '1\u00b5s'],
    [1_500n, '1.5\u00b5s'],
    [1_001n, '1.001\u00b5s'],
    [999_999n, '999.999\u00b5s'],
    [MS, '1ms'],
    [1_500_000n, '1.5ms'],
    [300n * MS, '300ms'],
    [1_000_001n, '1.000001ms'],
    [-300n * MS, '-300ms'],
    [SECOND, '1s'],
    [1_500n * MS, '1.5s'],
    [1_000_000_001n, '1.000000001s'],
    [59n * SECOND, '59s'],
    [MINUTE, '1m0s'],
    [90n * SECOND, '1m30s'],
    [5n * MINUTE, '5m0s'],
    [HOUR, '1h0m0s'],
    [HOUR + 30n * MINUTE, '1h30m0s'],
    [2n * HOUR + 45n * MINUTE + 500n * MS, '2h45m0.5s'],
    [25n * HOUR, '25h0m0s'],
    [-2n * SECOND, '-2s'],
    [-(HOUR + 1n), '-1h0m0.000000001s'],
    [MAX_INT64, '2562047h47m16.854775807s'],
    [MIN_INT64, '-2562047h47m16.854775808s'],
  ])('formats %s ns as %j', (ns, expected) => {
    expect(formatGoDuration(ns)).toBe(expected);
  });

  it('rejects values outside int64', () => {
    expect(() => formatGoDuration(MAX_INT64 + 1n)).toThrow(RangeError);
    expect(() => formatGoDuration(MIN_INT64 - 1n)).toThrow(RangeError);
  });
});

describe('round trip through Go syntax', () => {
  it.each<[string, string]>([
    ['5m', '5m0s'],
    ['1.5h', '1h30m0s'],
    ['300ms', '300ms'],
    ['90s', '1m30s'],
    ['1h', '1h0m0s'],
    ['0', '0s'],
    ['-0', '0s'],
    ['-2s', '-2s'],
    ['1\u00b5s', '1\u00b5s'],
    ['1us', '1\u00b5s'],
    ['1\u03bcs', '1\u00b5s'],
    ['1.000000001s', '1.000000001s'],
    ['1500ms', '1.5s'],
    ['0.5s', '500ms'],
    ['1m60s', '2m0s'],
    ['2h45m0.5s', '2h45m0.5s'],
    ['1000ns', '1\u00b5s'],
  ])('%j reads back as %j', (input, canonical) => {
    expect(formatGoDuration(parseGoDuration(input))).toBe(canonical);
  });

  it('is stable on canonical text', () => {
    for (const ns of [1n, 1_234n, 1_234_567n, 1_234_567_890n, 98_765_432_109_876n, MAX_INT64, MIN_INT64]) {
      const text = formatGoDuration(ns);
      expect(parseGoDuration(text)).toBe(ns);
      expect(parseGoDuration(`-${text.replace(/^-/, '')}`)).toBe(ns < 0n ? ns : -ns);
    }
  });
});

describe('nanosToMillis', () => {
  it.each<[bigint, number]>([
    [0n, 0],
    [MS, 1],
    [1_500_000n, 1.5],
    [1n, 0.000001],
    [-2n * SECOND, -2000],
    [-1_500_000n, -1.5],
    [5n * MINUTE, 300_000],
    [MAX_INT64, 9_223_372_036_854.775],
  ])('%s ns is %s ms', (ns, ms) => {
    expect(nanosToMillis(ns)).toBe(ms);
  });

  it('rounds once beyond 2^53 nanoseconds', () => {
    const ns = 9_007_199_254_740_993n * MS;
    // Number(ns) / 1e6 rounds twice and lands on ...994; the split keeps the nearest double.
    expect(Number(ns) / 1e6).toBe(9_007_199_254_740_994);
    expect(nanosToMillis(ns)).toBe(9_007_199_254_740_992);
  });
});
