// Input queued for a PTY child that then exits is dropped, not written later to a file descriptor
// number the process may have reused (node-pty writes its queue asynchronously; see pty-process.ts).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../src/supervisor/clock.js';
import { spawnPty } from '../../src/supervisor/pty-process.js';

describe('a PTY child that exits with input still queued', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('drops the unsent input at exit: nothing is written to the closed descriptor', async () => {
    const errors: unknown[][] = [];
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      errors.push(args);
    });
    // A child that never reads its terminal: 4 MiB of input cannot all be taken, most stays queued.
    const spawned = spawnPty(
      { command: '/bin/sleep', args: ['30'], size: { cols: 80, rows: 24 } },
      () => {},
      systemClock,
    );
    if (!spawned.ok) throw new Error(spawned.error);
    const child = spawned.child;
    const chunk = 'x'.repeat(64 * 1024);
    for (let i = 0; i < 64; i++) child.write(chunk);
    child.kill();
    await child.settled;
    // Give a queued write that would have gone on after the exit the time to run.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(errors.filter((args) => String(args[0]).includes('pty write error'))).toEqual([]);
  });
});
