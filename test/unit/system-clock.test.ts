import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMER_DELAY_MS, systemClock } from '../../src/supervisor/clock.js';

describe('systemClock', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('holds delays longer than one Node timer can (a "720h" restart delay) by chaining', () => {
    vi.useFakeTimers();
    const fired: string[] = [];
    const delay = 720 * 3_600_000;
    expect(delay).toBeGreaterThan(MAX_TIMER_DELAY_MS);
    systemClock.setTimeout(() => fired.push('long'), delay);
    vi.advanceTimersByTime(MAX_TIMER_DELAY_MS);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(delay - MAX_TIMER_DELAY_MS - 1);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual(['long']);
  });

  it('cancels a chained timer in any link, and treats a negative delay as zero', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate'] });
    const fired: string[] = [];
    const handle = systemClock.setTimeout(() => fired.push('long'), MAX_TIMER_DELAY_MS * 2);
    vi.advanceTimersByTime(MAX_TIMER_DELAY_MS + 10);
    systemClock.clearTimeout(handle);
    vi.advanceTimersByTime(MAX_TIMER_DELAY_MS * 2);
    expect(fired).toEqual([]);
    systemClock.setTimeout(() => fired.push('negative'), -2_000);
    const zero = systemClock.setTimeout(() => fired.push('cancelled'), 0);
    systemClock.clearTimeout(zero);
    vi.runAllTicks();
    vi.advanceTimersByTime(0);
    expect(fired).toEqual(['negative']);
    expect(vi.getTimerCount()).toBe(0);
  });
});
