/**
 * RFC 3339 timestamps as the overseer protocol writes (Go's `time.RFC3339Nano` in UTC) and reads them
 * (Go's `time.Parse(time.RFC3339, s)`).
 *
 * Times are epoch milliseconds as a double, like `Date.now()`; a sub-millisecond fraction carries the
 * nanosecond part as far as a double can hold it (about a quarter microsecond for present-day dates).
 */

const MS_PER_SECOND = 1000;
/** Nanoseconds per millisecond, to move the sub-millisecond fraction in and out of whole nanoseconds. */
const NS_PER_MS = 1_000_000;
const SECONDS_PER_MINUTE = 60;
const SECONDS_PER_HOUR = 3600;
const SECONDS_PER_DAY = 86_400;
/** The fraction is printed to nanoseconds, Go's resolution. */
const FRACTION_DIGITS = 9;
/** RFC 3339 only has four-digit years; Go's JSON marshalling refuses anything else too. */
const MIN_YEAR = 0;
const MAX_YEAR = 9999;

/** Days from 0000-03-01 to 1970-01-01, for the era-based civil calendar conversion below. */
const DAYS_0000_03_01_TO_EPOCH = 719_468;
/** Days in a 400-year Gregorian era: the calendar repeats exactly after it. */
const DAYS_PER_ERA = 146_097;
const YEARS_PER_ERA = 400;

const CHAR_0 = 0x30;
const CHAR_9 = 0x39;
const CHAR_DASH = 0x2d;
const CHAR_PLUS = 0x2b;
const CHAR_COLON = 0x3a;
const CHAR_DOT = 0x2e;
const CHAR_COMMA = 0x2c;
const CHAR_T = 0x54;
const CHAR_Z = 0x5a;

function floorMod(a: number, b: number): number {
  const r = a % b;
  return r < 0 ? r + b : r;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Days since 1970-01-01 of a proleptic Gregorian date. Pure integer arithmetic on a calendar whose
 * year starts in March (so the leap day is last); cheaper than building a Date and valid for year 0.
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / YEARS_PER_ERA);
  const yearOfEra = y - era * YEARS_PER_ERA;
  const shiftedMonth = month > 2 ? month - 3 : month + 9;
  const dayOfYear = Math.floor((153 * shiftedMonth + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * DAYS_PER_ERA + dayOfEra - DAYS_0000_03_01_TO_EPOCH;
}

/** `YYYY-MM-DD` of a day count since 1970-01-01; the inverse of `daysFromCivil`. */
function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + DAYS_0000_03_01_TO_EPOCH;
  const era = Math.floor(z / DAYS_PER_ERA);
  const dayOfEra = z - era * DAYS_PER_ERA;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * shiftedMonth + 2) / 5) + 1;
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
  const year = yearOfEra + era * YEARS_PER_ERA + (month <= 2 ? 1 : 0);
  return { year, month, day };
}

/**
 * Output events are stamped in bursts within the same second, so the `YYYY-MM-DDTHH:MM:SS` part of the
 * last second formatted is kept and reused; only the fraction is built per call.
 */
let cachedSecond = Number.NaN;
let cachedPrefix = '';

function secondPrefix(epochSecond: number): string {
  if (epochSecond === cachedSecond) return cachedPrefix;
  const secondOfDay = floorMod(epochSecond, SECONDS_PER_DAY);
  const days = (epochSecond - secondOfDay) / SECONDS_PER_DAY;
  const { year, month, day } = civilFromDays(days);
  if (year < MIN_YEAR || year > MAX_YEAR) {
    throw new RangeError(`year ${year} cannot be written as an RFC 3339 timestamp`);
  }
  const hour = Math.floor(secondOfDay / SECONDS_PER_HOUR);
  const minute = Math.floor((secondOfDay % SECONDS_PER_HOUR) / SECONDS_PER_MINUTE);
  const second = secondOfDay % SECONDS_PER_MINUTE;
  cachedPrefix = `${String(year).padStart(4, '0')}-${pad2(month)}-${pad2(day)}T${pad2(hour)}:${pad2(minute)}:${pad2(second)}`;
  cachedSecond = epochSecond;
  return cachedPrefix;
}

/**
 * UTC RFC 3339 with up to nine fraction digits, trailing zeros trimmed and no fraction at all on a
 * whole second — Go's `RFC3339Nano`: `2023-11-14T22:13:20Z`, `2023-11-14T22:13:20.12Z`.
 * A sub-millisecond part of `epochMs` is rounded to whole nanoseconds and printed.
 *
 * @throws RangeError for a non-finite time or a year outside 0000–9999.
 */
export function formatRfc3339(epochMs: number): string {
  if (!Number.isFinite(epochMs)) throw new RangeError(`invalid time value: ${epochMs}`);
  let wholeMs = Math.floor(epochMs);
  // Exact: subtracting the floor of a double only drops its integer bits.
  let subMsNanos = Math.round((epochMs - wholeMs) * NS_PER_MS);
  if (subMsNanos === NS_PER_MS) {
    wholeMs += 1;
    subMsNanos = 0;
  }
  const msOfSecond = floorMod(wholeMs, MS_PER_SECOND);
  const prefix = secondPrefix((wholeMs - msOfSecond) / MS_PER_SECOND);

  let nanos = msOfSecond * NS_PER_MS + subMsNanos;
  if (nanos === 0) return `${prefix}Z`;
  let digits = FRACTION_DIGITS;
  while (nanos % 10 === 0) {
    nanos /= 10;
    digits--;
  }
  return `${prefix}.${String(nanos).padStart(digits, '0')}Z`;
}

/** Value of the two ASCII digits at `pos`, or -1 when either is not a digit (also past the end). */
function twoDigits(text: string, pos: number): number {
  const hi = text.charCodeAt(pos) - CHAR_0;
  const lo = text.charCodeAt(pos + 1) - CHAR_0;
  // charCodeAt past the end is NaN, which fails both comparisons.
  if (!(hi >= 0 && hi <= 9 && lo >= 0 && lo <= 9)) return -1;
  return hi * 10 + lo;
}

function isDigitAt(text: string, pos: number): boolean {
  const c = text.charCodeAt(pos);
  return c >= CHAR_0 && c <= CHAR_9;
}

/**
 * Parses what Go's `time.Parse(time.RFC3339, s)` accepts into epoch milliseconds (with the sub-ms
 * fraction kept), or null. That is `YYYY-MM-DDTHH:MM:SS`, an optional fraction, then `Z` or `±HH:MM`,
 * plus the leniencies of Go's generic layout parser, which `time.Parse` falls back to: a one-digit
 * hour, `,` as the decimal separator, more than nine fraction digits (truncated to nanoseconds) and
 * zone offsets up to `±24:00` with minutes up to 60. A single left-to-right scan, no regex.
 */
export function parseRfc3339(text: string): number | null {
  const century = twoDigits(text, 0);
  const yearOfCentury = twoDigits(text, 2);
  if (century < 0 || yearOfCentury < 0 || text.charCodeAt(4) !== CHAR_DASH) return null;
  const year = century * 100 + yearOfCentury;
  const month = twoDigits(text, 5);
  if (month < 1 || month > 12 || text.charCodeAt(7) !== CHAR_DASH) return null;
  const day = twoDigits(text, 8);
  if (day < 1 || day > daysInMonth(year, month) || text.charCodeAt(10) !== CHAR_T) return null;

  // Go reads the hour of the RFC3339 layout ("15") with one or two digits.
  if (!isDigitAt(text, 11)) return null;
  let pos = 12;
  let hour = text.charCodeAt(11) - CHAR_0;
  if (isDigitAt(text, 12)) {
    hour = hour * 10 + text.charCodeAt(12) - CHAR_0;
    pos = 13;
  }
  if (hour > 23 || text.charCodeAt(pos) !== CHAR_COLON) return null;
  const minute = twoDigits(text, pos + 1);
  if (minute < 0 || minute > 59 || text.charCodeAt(pos + 3) !== CHAR_COLON) return null;
  const second = twoDigits(text, pos + 4);
  if (second < 0 || second > 59) return null;
  pos += 6;

  let nanos = 0;
  const separator = text.charCodeAt(pos);
  if ((separator === CHAR_DOT || separator === CHAR_COMMA) && isDigitAt(text, pos + 1)) {
    pos++;
    let scale = 100_000_000;
    while (isDigitAt(text, pos)) {
      // Digits beyond nanoseconds are consumed and dropped, as Go truncates them.
      nanos += (text.charCodeAt(pos) - CHAR_0) * scale;
      scale /= 10;
      pos++;
      if (scale < 1) scale = 0;
    }
  }

  let offsetSeconds = 0;
  const zone = text.charCodeAt(pos);
  if (zone === CHAR_Z) {
    if (text.length !== pos + 1) return null;
  } else {
    if (text.length !== pos + 6 || (zone !== CHAR_PLUS && zone !== CHAR_DASH)) return null;
    const offsetHours = twoDigits(text, pos + 1);
    const offsetMinutes = twoDigits(text, pos + 4);
    // Go's generic parser tolerates 24 hours and 60 minutes here ("some people do write" them).
    if (offsetHours < 0 || offsetHours > 24 || text.charCodeAt(pos + 3) !== CHAR_COLON) return null;
    if (offsetMinutes < 0 || offsetMinutes > 60) return null;
    offsetSeconds = offsetHours * SECONDS_PER_HOUR + offsetMinutes * SECONDS_PER_MINUTE;
    if (zone === CHAR_DASH) offsetSeconds = -offsetSeconds;
  }

  const epochSeconds =
    daysFromCivil(year, month, day) * SECONDS_PER_DAY +
    hour * SECONDS_PER_HOUR +
    minute * SECONDS_PER_MINUTE +
    second -
    offsetSeconds;
  return epochSeconds * MS_PER_SECOND + nanos / NS_PER_MS;
}
