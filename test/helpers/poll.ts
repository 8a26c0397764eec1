import { isDeadState, readProcessStat } from '../../src/supervisor/recovery/process-identity.js';

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
  const state = readProcessStat(pid)?.state;
  return state !== undefined && !isDeadState(state);
}
