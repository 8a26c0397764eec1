// Input queued for a PTY child that then exits is dropped, not written later to the descriptor number
// the process reuses for the next file it opens (node-pty writes its queue asynchronously; see
// pty-process.ts).
import { closeSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../src/supervisor/clock.js';
import { spawnPty } from '../../src/supervisor/spawn/pty-process.js';
import { makeTempDir } from '../helpers/temp-dir.js';

describe('a PTY child that exits with input still queued', () => {
  const temp = makeTempDir('claudeman-pty-input-');
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('drops the unsent input at exit: a file opened next (same descriptor number) gets none of the queue', async () => {
    // node-pty logs a write that fails on the closed descriptor; that is not what this test is about.
    vi.spyOn(console, 'error').mockImplementation(() => {});
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
    // POSIX hands out the lowest free descriptor: most likely the terminal's, just closed.
    const path = join(temp.path, 'next-file');
    const fd = openSync(path, 'w');
    // Give queued writes that would have gone on after the exit the time to run.
    await new Promise((resolve) => setTimeout(resolve, 300));
    closeSync(fd);
    // Without the drop the whole queue (about 4 MiB) lands there. With it, at most the one write
    // node-pty had already handed to libuv's thread pool can (one queued piece, ≤ 64 KiB): closing
    // that last window needs node-pty itself to stop writing once its descriptor is closed.
    expect(statSync(path).size).toBeLessThanOrEqual(chunk.length);
    temp.remove();
  });
});
