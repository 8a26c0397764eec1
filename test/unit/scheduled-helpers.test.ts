// The pure parts of scheduled runs: the time left in words, the iteration prompt, the backoff, the log bound.
import { describe, expect, it } from 'vitest';
import { failureBackoffMs } from '../../src/agent/scheduled/backoff.js';
import { formatRemaining, iterationPrompt } from '../../src/agent/scheduled/iteration-prompt.js';
import { ScheduledLimits, ScheduledTiming } from '../../src/agent/scheduled/limits.js';
import { appendLog } from '../../src/agent/scheduled/run-log.js';

describe('formatRemaining', () => {
  it('says the time left in words, rounded down', () => {
    expect(formatRemaining(-5)).toBe('less than a second');
    expect(formatRemaining(999)).toBe('less than a second');
    expect(formatRemaining(1_000)).toBe('1 second');
    expect(formatRemaining(5_999)).toBe('5 seconds');
    expect(formatRemaining(60_000)).toBe('1 minute');
    expect(formatRemaining(61_000)).toBe('1 minute 1 second');
    expect(formatRemaining(270_500)).toBe('4 minutes 30 seconds');
    expect(formatRemaining(3_600_000)).toBe('1 hour');
    expect(formatRemaining(2 * 3_600_000 + 5 * 60_000 + 59_000)).toBe('2 hours 5 minutes');
  });
});

describe('iterationPrompt', () => {
  it('puts the time left before the prompt', () => {
    const prompt = iterationPrompt('fix the tests', 270_000);
    expect(prompt.startsWith('You have 4 minutes 30 seconds left in this scheduled run. ')).toBe(true);
    expect(prompt).toContain('fresh session');
    expect(prompt.endsWith('\n\nfix the tests')).toBe(true);
  });
});

describe('failureBackoffMs', () => {
  it('doubles from the initial pause up to the cap', () => {
    const initial = ScheduledTiming.failureBackoffInitialMs;
    expect([1, 2, 3, 4].map(failureBackoffMs)).toEqual([initial, 2 * initial, 4 * initial, 8 * initial]);
    expect(failureBackoffMs(30)).toBe(ScheduledTiming.failureBackoffMaxMs);
    expect(failureBackoffMs(5_000)).toBe(ScheduledTiming.failureBackoffMaxMs);
  });
});

describe('appendLog', () => {
  it('keeps the most recent lines, each cut to size', () => {
    let logs = appendLog([], 1, 'first');
    for (let i = 2; i <= ScheduledLimits.logLines + 5; i++) logs = appendLog(logs, i, `line ${i}`);
    expect(logs).toHaveLength(ScheduledLimits.logLines);
    expect(logs[0]).toEqual({ ts: 6, message: 'line 6' });
    const long = appendLog([], 7, 'x'.repeat(10_000))[0]?.message ?? '';
    expect(long).toHaveLength(ScheduledLimits.logMessageChars);
    expect(long.endsWith('…')).toBe(true);
  });
});
