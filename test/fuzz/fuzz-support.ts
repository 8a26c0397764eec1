// Shared pieces of the fuzzers (test/fuzz/*.test.ts): hostile values, JSON text with duplicate keys
// and out-of-range numbers, compact failure reports, and a full GC for the memory checks.

import { Buffer } from 'node:buffer';
import v8 from 'node:v8';
import vm from 'node:vm';
import fc from 'fast-check';

/** The seed of every fuzzer; a failure names it. `FUZZ_SEED=<n>` replays a run. */
export const SEED = Number(process.env.FUZZ_SEED ?? 0x0ce5ee);

/** A JSON text spliced in as is (numbers beyond doubles, deep nesting). */
export class Raw {
  constructor(readonly json: string) {}
}

/** An object field; a list of them may repeat a key, which JSON.stringify cannot express. */
export type Entry = readonly [string, unknown];
export const entry = (key: string, value: unknown): Entry => [key, value];

export function encodeValue(value: unknown): string {
  if (value instanceof Raw) return value.json;
  if (Array.isArray(value)) return `[${value.map(encodeValue).join(',')}]`;
  if (typeof value === 'object' && value !== null) return encodeEntries(Object.entries(value));
  return JSON.stringify(value) ?? 'null';
}

/** An object from entries, keeping duplicate keys and their order; undefined values are left out. */
export function encodeEntries(entries: readonly Entry[]): string {
  return `{${entries
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${JSON.stringify(k)}:${encodeValue(v)}`)
    .join(',')}}`;
}

/** Property names that live on Object.prototype (or mean something to JavaScript). */
export const SPECIAL_NAMES = [
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '__defineGetter__',
  'isPrototypeOf',
  'prototype',
  'then',
];

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const oddChar = fc.constantFrom(
  '\u0000',
  '\u0001',
  '\u2028',
  '\u2029',
  '\ufeff',
  '\u202e',
  '\r',
  '\n',
  '"',
  '\\',
  '<',
  '>',
  '&',
  '\ufffd',
  '🚀',
  'e\u0301',
);
const printable = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));

/** Short strings: random ASCII/Unicode/graphemes, lone surrogates, control characters, tricky constants. */
export const weirdShort: fc.Arbitrary<string> = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: fc.oneof(loneSurrogate, oddChar, printable) }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'null',
    'true',
    '0',
    '-1',
    '🚀🚀',
    'ｓｔａｒｔ',
    '../../etc/passwd',
    '%00',
    '$' + '{HOME}',
    "'; DROP TABLE tasks; --",
    ...SPECIAL_NAMES,
  ),
);

/** Long strings of one repeated unit (cheap to generate): from 1 KB up to `max` bytes as JSON text. */
export const longString = (max: number): fc.Arbitrary<string> =>
  fc
    .tuple(fc.integer({ min: 1_000, max }), fc.constantFrom('x', 'é', '🚀', '\u0000', 'ab"\\', '\ud800'))
    .map(([n, unit]) => unit.repeat(Math.ceil(n / Buffer.byteLength(JSON.stringify(unit).slice(1, -1)))));

/** Mostly short weird strings, now and then one of up to 64 KB. */
export const weird: fc.Arbitrary<string> = fc.oneof(
  { weight: 30, arbitrary: weirdShort },
  { weight: 1, arbitrary: longString(64 * 1024) },
);

/** Numbers JSON can write but a double (or an int64) cannot hold exactly, and other odd forms. */
export const hugeNumber: fc.Arbitrary<Raw> = fc
  .constantFrom(
    '1e308',
    '-1e308',
    '1e309',
    '-1e400',
    '9007199254740993',
    '9223372036854775807',
    '9223372036854775808',
    '-9223372036854775809',
    '18446744073709551616',
    '123456789012345678901234567890',
    '0.1',
    '-0',
    '5e-324',
    '1E2',
  )
  .map((t) => new Raw(t));

/** Deeply nested arrays/objects (up to 20,000 levels). */
export const nestedGarbage: fc.Arbitrary<Raw> = fc
  .tuple(fc.integer({ min: 1, max: 20_000 }), fc.nat(2))
  .map(([d, shape]) =>
    shape === 0
      ? new Raw(`${'['.repeat(d)}${']'.repeat(d)}`)
      : shape === 1
        ? new Raw(`${'{"a":'.repeat(d)}null${'}'.repeat(d)}`)
        : new Raw(`${'[{"type":"start",'.repeat(Math.min(d, 500))}"x":1${'}]'.repeat(Math.min(d, 500))}`),
  );

/** A value of any JSON type, weighted towards the ones that break decoders. */
export const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 4, arbitrary: weird },
  { weight: 2, arbitrary: hugeNumber },
  { weight: 1, arbitrary: nestedGarbage },
  { weight: 2, arbitrary: fc.constantFrom(null, true, false, 0, -1, 1.5, [], {}, [null], ['a', 1]) },
  { weight: 1, arbitrary: fc.array(weirdShort, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(weirdShort, fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }) },
);

/** One property run's inputs; a failure report shows their count only (the error names the culprits). */
export class Batch<T> {
  constructor(readonly items: readonly T[]) {}

  [fc.toStringMethod](): string {
    return `${this.items.length} inputs`;
  }
}

/** Runs `work` over `items` with at most `limit` in flight. */
export async function runBounded<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

let gcFn: (() => void) | undefined;

/**
 * A full garbage collection. Vitest's workers do not run with --expose-gc, so the flag is set at run
 * time and `gc` is taken from a fresh context (where V8 installs it once the flag is on).
 */
export async function collectGarbage(): Promise<void> {
  if (gcFn === undefined) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (typeof exposed === 'function') gcFn = exposed;
    else {
      v8.setFlagsFromString('--expose-gc');
      gcFn = vm.runInNewContext('gc') as () => void;
    }
  }
  for (let i = 0; i < 3; i++) {
    gcFn();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A counter by name, printed as one JSON object. */
export class Tally {
  private readonly counts = new Map<string, number>();

  add(key: string, n = 1): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + n);
  }

  get total(): number {
    let sum = 0;
    for (const n of this.counts.values()) sum += n;
    return sum;
  }

  toString(): string {
    return JSON.stringify(Object.fromEntries([...this.counts].sort((a, b) => b[1] - a[1])));
  }
}
