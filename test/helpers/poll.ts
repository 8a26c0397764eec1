import { readFileSync } from 'node:fs';

/** Polls `condition` until it holds or `timeoutMs` passes (then throws with `what`). Never a fixed sleep. */
export async function pollUntil(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Whether `pid` is a running process: not gone and not a zombie. A process that ended but was not
 * reaped (a tmux pane's shell, re-parented to this container's init, which never reaps) has ended.
 */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.charAt(stat.lastIndexOf(')') + 2);
    return state !== 'Z' && state !== 'X';
  } catch {
    // It ended between the signal test and the read.
    return false;
  }
}
