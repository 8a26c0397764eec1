import { describe, expect, it } from 'vitest';
import { ExitWindow } from '../../src/supervisor/retry/exit-window.js';
import { decideAfterExit } from '../../src/supervisor/retry/retry-policy.js';

describe('ExitWindow', () => {
  it('counts every exit when the window is zero', () => {
    const window = new ExitWindow(0, 10);
    expect(window.record(0)).toBe(1);
    expect(window.record(1_000_000)).toBe(2);
    expect(window.record(9_000_000_000)).toBe(3);
  });

  it('drops exits older than the window before counting', () => {
    const window = new ExitWindow(10_000, 10);
    expect(window.record(0)).toBe(1);
    expect(window.record(5_000)).toBe(2);
    // At 10 s the exit at 0 is exactly on the edge and still counts.
    expect(window.record(10_000)).toBe(3);
    expect(window.record(15_001)).toBe(2);
    expect(window.timestamps()).toEqual([10_000, 15_001]);
  });

  it('restores persisted exits and clears', () => {
    const window = new ExitWindow(60_000, 10, [1_000, 2_000]);
    expect(window.count).toBe(2);
    expect(window.record(3_000)).toBe(3);
    window.clear();
    expect(window.count).toBe(0);
    expect(window.record(100_000)).toBe(1);
  });
});

describe('ExitWindow capacity', () => {
  it('remembers no more exits than its capacity', () => {
    const window = new ExitWindow(0, 3);
    for (let i = 0; i < 1_000; i++) window.record(i);
    expect(window.count).toBe(3);
    expect(window.timestamps()).toEqual([997, 998, 999]);
    expect(new ExitWindow(0, 2, [1, 2, 3, 4]).timestamps()).toEqual([3, 4]);
  });

  it('remembers nothing without a threshold', () => {
    const window = new ExitWindow(0, 0, [1, 2]);
    expect(window.record(5)).toBe(0);
    expect(window.timestamps()).toEqual([]);
  });
});

describe('decideAfterExit', () => {
  const policy = (errorThreshold: number) => ({ restartDelayNs: 0n, errorWindowNs: 0n, errorThreshold });

  it('gives up when the count reaches the threshold', () => {
    expect(decideAfterExit(policy(2), 1)).toEqual({ action: 'restart', exitCount: 1 });
    expect(decideAfterExit(policy(2), 2)).toEqual({ action: 'give-up', exitCount: 2 });
    expect(decideAfterExit(policy(2), 3)).toEqual({ action: 'give-up', exitCount: 3 });
  });

  it('never gives up with a threshold of zero or less', () => {
    expect(decideAfterExit(policy(0), 1_000).action).toBe('restart');
    expect(decideAfterExit(policy(-1), 1_000).action).toBe('restart');
  });
});
