/**
 * Go's `time.Duration` text syntax, exact to the nanosecond.
 *
 * The overseer protocol exchanges durations in Go's syntax (`"300ms"`, `"1m30s"`), and clients written
 * for the original Go program compare what they read back, so both directions mirror the Go standard
 * library (`time.ParseDuration` and `Duration.String`) including its quirks. Values are bigint
 * nanoseconds because int64 nanoseconds exceed the exact range of a double after ~104 days.
 */

/** Nanoseconds per unit: Go's unit table. */
const NANOSECOND = 1n;
const MICROSECOND = 1_000n;
const MILLISECOND = 1_000_000n;
const SECOND = 1_000_000_000n;
const MINUTE = 60n * SECOND;
const HOUR = 60n * MINUTE;

/** 2^63: Go accumulates in uint64 and accepts a magnitude up to this, so `-2^63ns` is valid. */
const MAGNITUDE_LIMIT = 1n << 63n;
/** int64 range of `time.Duration`. */
const MAX_DURATION = MAGNITUDE_LIMIT - 1n;
const MIN_DURATION = -MAGNITUDE_LIMIT;
/** (2^63 - 1) / 10, Go's early overflow test in `leadingFraction`. */
const FRACTION_PRECHECK = MAX_DURATION / 10n;

const UNITS: ReadonlyMap<string, bigint> = new Map([
  ['ns', NANOSECOND],
  ['us', MICROSECOND],
  ['\u00b5s', MICROSECOND], // micro sign
  ['\u03bcs', MICROSECOND], // Greek small letter mu
  ['ms', MILLISECOND],
  ['s', SECOND],
  ['m', MINUTE],
  ['h', HOUR],
]);

const CHAR_0 = 0x30;
const CHAR_9 = 0x39;
const CHAR_DOT = 0x2e;
const CHAR_PLUS = 0x2b;
const CHAR_MINUS = 0x2d;

/** Thrown for any text Go's `time.ParseDuration` rejects; the message is Go's error text. */
export class InvalidDurationError extends Error {
  readonly code = 'ERR_INVALID_DURATION';

  constructor(
    message: string,
    readonly input: string,
  ) {
    super(message);
    this.name = 'InvalidDurationError';
  }
}

function isDigit(c: number): boolean {
  return c >= CHAR_0 && c <= CHAR_9;
}

/** TextEncoder rather than Buffer: the protocol layer (which the web UI type-checks) uses this module. */
const UTF8 = new TextEncoder();

/**
 * Go's private `quote` helper: double quotes, `"` and `\` escaped, and every byte of a non-ASCII or
 * control character written as `\xNN`, so error texts match the original byte for byte.
 */
function goQuote(text: string): string {
  let out = '"';
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp >= 0x80 || cp < 0x20) {
      for (const byte of UTF8.encode(ch)) out += `\\x${byte.toString(16).padStart(2, '0')}`;
    } else {
      if (ch === '"' || ch === '\\') out += '\\';
      out += ch;
    }
  }
  return `${out}"`;
}

function invalid(text: string): InvalidDurationError {
  return new InvalidDurationError(`time: invalid duration ${goQuote(text)}`, text);
}

/**
 * Parses a Go duration (`"1h30m"`, `"-1.5s"`, `".5ms"`, `"0"`) into nanoseconds, accepting exactly
 * what Go's `time.ParseDuration` accepts.
 *
 * @throws InvalidDurationError with Go's message when the text is not a valid duration.
 */
export function parseGoDuration(text: string): bigint {
  const length = text.length;
  let pos = 0;
  let negative = false;
  const first = text.charCodeAt(0);
  if (first === CHAR_PLUS || first === CHAR_MINUS) {
    negative = first === CHAR_MINUS;
    pos = 1;
  }
  // Go special-cases a lone "0" (after the sign): the only number allowed without a unit.
  if (length - pos === 1 && text.charCodeAt(pos) === CHAR_0) return 0n;
  if (pos === length) throw invalid(text);

  let total = 0n;
  while (pos < length) {
    const lead = text.charCodeAt(pos);
    if (lead !== CHAR_DOT && !isDigit(lead)) throw invalid(text);

    const intStart = pos;
    while (pos < length && isDigit(text.charCodeAt(pos))) pos++;
    const hasInt = pos > intStart;
    // Digits only, so BigInt() cannot throw; Go rejects an integer part above 2^63 outright.
    let value = hasInt ? BigInt(text.slice(intStart, pos)) : 0n;
    if (value > MAGNITUDE_LIMIT) throw invalid(text);

    let fraction = 0n;
    // Go keeps the fraction's scale as a float64 and multiplies it by 10 per digit; mirrored exactly.
    let scale = 1;
    let hasFraction = false;
    if (pos < length && text.charCodeAt(pos) === CHAR_DOT) {
      pos++;
      const fracStart = pos;
      let saturated = false;
      for (; pos < length; pos++) {
        const c = text.charCodeAt(pos);
        if (!isDigit(c)) break;
        // Like Go, digits past 63 bits of precision are consumed but ignored, never an error.
        if (saturated) continue;
        if (fraction > FRACTION_PRECHECK) {
          saturated = true;
          continue;
        }
        const next = fraction * 10n + BigInt(c - CHAR_0);
        if (next > MAGNITUDE_LIMIT) {
          saturated = true;
          continue;
        }
        fraction = next;
        scale *= 10;
      }
      hasFraction = pos > fracStart;
    }
    if (!hasInt && !hasFraction) throw invalid(text);

    const unitStart = pos;
    while (pos < length) {
      const c = text.charCodeAt(pos);
      if (c === CHAR_DOT || isDigit(c)) break;
      pos++;
    }
    if (pos === unitStart) {
      throw new InvalidDurationError(`time: missing unit in duration ${goQuote(text)}`, text);
    }
    const unitText = text.slice(unitStart, pos);
    const unit = UNITS.get(unitText);
    if (unit === undefined) {
      throw new InvalidDurationError(
        `time: unknown unit ${goQuote(unitText)} in duration ${goQuote(text)}`,
        text,
      );
    }
    if (value > MAGNITUDE_LIMIT / unit) throw invalid(text);
    value *= unit;
    if (fraction > 0n) {
      // Go computes the fractional part in float64 and truncates; doing the same keeps results
      // identical to the original even where exact decimal arithmetic would round differently.
      value += BigInt(Math.trunc(Number(fraction) * (Number(unit) / scale)));
      if (value > MAGNITUDE_LIMIT) throw invalid(text);
    }
    total += value;
    if (total > MAGNITUDE_LIMIT) throw invalid(text);
  }
  if (negative) return -total;
  if (total > MAX_DURATION) throw invalid(text);
  return total;
}

/** `value` as `int.frac` with `digits` fraction digits, trailing zeros (and a bare dot) trimmed. */
function withFraction(value: bigint, digits: number, divisor: bigint): string {
  const whole = value / divisor;
  let frac = value % divisor;
  if (frac === 0n) return whole.toString();
  let width = digits;
  while (frac % 10n === 0n) {
    frac /= 10n;
    width--;
  }
  return `${whole}.${frac.toString().padStart(width, '0')}`;
}

/**
 * Go's canonical `Duration.String()`: `"0s"`, `"999ns"`, `"1.5µs"`, `"300ms"`, `"1.5s"`, `"1m30s"`,
 * `"5m0s"`, `"1h0m0s"`, `"-2s"`.
 *
 * @throws RangeError when `ns` is outside int64, which no Go duration can hold.
 */
export function formatGoDuration(ns: bigint): string {
  if (ns < MIN_DURATION || ns > MAX_DURATION) {
    throw new RangeError(`duration ${ns}ns is outside the int64 range of a Go duration`);
  }
  if (ns === 0n) return '0s';
  const sign = ns < 0n ? '-' : '';
  const magnitude = ns < 0n ? -ns : ns;

  // Below one second Go switches to the largest unit that keeps the integer part non-zero.
  if (magnitude < MICROSECOND) return `${sign}${magnitude}ns`;
  if (magnitude < MILLISECOND) return `${sign}${withFraction(magnitude, 3, MICROSECOND)}\u00b5s`;
  if (magnitude < SECOND) return `${sign}${withFraction(magnitude, 6, MILLISECOND)}ms`;

  const seconds = withFraction(magnitude % MINUTE, 9, SECOND);
  const totalMinutes = magnitude / MINUTE;
  if (totalMinutes === 0n) return `${sign}${seconds}s`;
  const hours = totalMinutes / 60n;
  const minutes = totalMinutes % 60n;
  // Go stops at hours: days vary in length, so "25h0m0s" rather than a day unit.
  if (hours === 0n) return `${sign}${minutes}m${seconds}s`;
  return `${sign}${hours}h${minutes}m${seconds}s`;
}

/** Nanoseconds as (fractional) milliseconds, e.g. for timers; exact for whole milliseconds. */
export function nanosToMillis(ns: bigint): number {
  // Splitting first keeps the integer part exact beyond 2^53 ns, where Number(ns) would round.
  return Number(ns / MILLISECOND) + Number(ns % MILLISECOND) / Number(MILLISECOND);
}
