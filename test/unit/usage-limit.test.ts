import { describe, expect, it } from 'vitest';
import { UNKNOWN_LIMIT_WAIT_MS, usageLimitOf } from '../../src/agent/session/usage-limit.js';

/** A fixed local time: 2026-12-07 10:20:00 (local). */
const NOW = new Date(2026, 11, 7, 10, 20, 0, 0).getTime();

/** The next `hours:minutes` local time strictly after `now`, computed independently. */
function nextLocal(now: number, hours: number, minutes = 0): number {
  const at = new Date(now);
  at.setHours(hours, minutes, 0, 0);
  if (at.getTime() <= now) at.setDate(at.getDate() + 1);
  return at.getTime();
}

describe('usageLimitOf', () => {
  it.each([
    ['API Error: 500 Internal server error', null],
    ['Request timed out', 'timeout'],
    ['overloaded_error', 'server_error'],
    ['', null],
  ])('null for a non-limit error %j (kind %j)', (error, kind) => {
    expect(usageLimitOf(error, kind, NOW)).toBeNull();
  });

  it('rate_limit kind without a reset time is limited for the assumed wait', () => {
    expect(usageLimitOf('something failed', 'rate_limit', NOW)).toEqual({
      until: NOW + UNKNOWN_LIMIT_WAIT_MS,
      known: false,
    });
    expect(UNKNOWN_LIMIT_WAIT_MS).toBe(5 * 60_000);
  });

  it('a 429 message without a kind is limited for the assumed wait', () => {
    expect(usageLimitOf('API Error: Request rejected (429) · fake-anthropic: HTTP 429', null, NOW)).toEqual({
      until: NOW + UNKNOWN_LIMIT_WAIT_MS,
      known: false,
    });
    expect(usageLimitOf('Rate limit exceeded', null, NOW)?.known).toBe(false);
  });

  it('"Claude AI usage limit reached|<epoch s>" is a known reset', () => {
    expect(usageLimitOf('Claude AI usage limit reached|1767225600', null, NOW)).toEqual({
      until: 1767225600000,
      known: true,
    });
    expect(usageLimitOf('Claude AI usage limit reached|1767225600', 'rate_limit', NOW)?.until).toBe(
      1767225600000,
    );
  });

  it('"resets 3pm" is the next 15:00 local after now', () => {
    const limit = usageLimitOf('5-hour limit reached ∙ resets 3pm', null, NOW);
    const expected = nextLocal(NOW, 15);
    expect(limit).toEqual({ until: expected, known: true });
    expect(new Date(expected).getDate()).toBe(7); // same day: 10:20 is before 15:00
    expect(new Date(expected).getHours()).toBe(15);
  });

  it('rolls to the next day when the time has passed', () => {
    const evening = new Date(2026, 11, 7, 16, 45, 0, 0).getTime();
    const limit = usageLimitOf('5-hour limit reached ∙ resets 3pm', null, evening);
    const expected = new Date(2026, 11, 8, 15, 0, 0, 0).getTime();
    expect(nextLocal(evening, 15)).toBe(expected);
    expect(limit).toEqual({ until: expected, known: true });
  });

  it('exactly at the reset time rolls to the next day', () => {
    const atThree = new Date(2026, 11, 7, 15, 0, 0, 0).getTime();
    expect(usageLimitOf('limit reached, resets 3pm', null, atThree)?.until).toBe(
      new Date(2026, 11, 8, 15, 0, 0, 0).getTime(),
    );
  });

  it('reads minutes, am, 12am and 24-hour times', () => {
    expect(usageLimitOf('usage limit reached · resets at 11:30 am', null, NOW)?.until).toBe(
      nextLocal(NOW, 11, 30),
    );
    expect(usageLimitOf('usage limit reached · resets 12am', null, NOW)?.until).toBe(nextLocal(NOW, 0));
    expect(usageLimitOf('usage limit reached · resets 12pm', null, NOW)?.until).toBe(nextLocal(NOW, 12));
    expect(usageLimitOf('usage limit reached · resets 18:05', null, NOW)?.until).toBe(nextLocal(NOW, 18, 5));
  });

  it('an impossible time of day falls back to the assumed wait', () => {
    expect(usageLimitOf('usage limit reached · resets 25:00', null, NOW)).toEqual({
      until: NOW + UNKNOWN_LIMIT_WAIT_MS,
      known: false,
    });
  });
});
