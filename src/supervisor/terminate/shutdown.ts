import type { Clock, TimerHandle } from '../clock.js';

/**
 * How supervised workers are stopped. Each stop escalates on its own process group (GroupTerminator in
 * process-group.ts: SIGTERM now, SIGKILL after the grace); a shutdown stops every worker that way and
 * waits, bounded, for all of them, then kills what is left.
 */

/** Grace between SIGTERM and SIGKILL on stop (ms): the original's 5 s. */
export const STOP_GRACE_MS = 5_000;
/** Longest a shutdown waits for workers to exit before killing what is left (ms): the original's 15 s. */
export const SHUTDOWN_TIMEOUT_MS = 15_000;

/** What a shutdown does to the workers: stop each (with its grace), kill each, count those running. */
export interface StoppableWorkers {
  stopAll(): void;
  killAll(): void;
  runningCount(): number;
}

/**
 * A supervisor's graceful shutdown, timed on its clock. The supervisor calls `exited()` after each
 * worker exit, which is when the waits below look again whether any worker still runs.
 */
export class GracefulShutdown {
  private readonly waiters = new Set<() => void>();

  constructor(private readonly clock: Clock) {}

  exited(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  private until(condition: () => boolean): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (!condition()) return;
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
  }

  /**
   * Stops every worker, waits until none runs or `timeoutMs` passed, then kills what is still alive
   * and waits for those exits too (SIGKILL cannot be ignored).
   */
  async run(workers: StoppableWorkers, timeoutMs: number): Promise<void> {
    workers.stopAll();
    const allExited = this.until(() => workers.runningCount() === 0).then(() => 'done' as const);
    const deadline = this.delay(timeoutMs);
    const outcome = await Promise.race([allExited, deadline.elapsed]);
    deadline.cancel();
    if (outcome === 'timeout') {
      workers.killAll();
      await this.until(() => workers.runningCount() === 0);
    }
  }

  private delay(ms: number): { elapsed: Promise<'timeout'>; cancel: () => void } {
    let handle: TimerHandle | undefined;
    const elapsed = new Promise<'timeout'>((resolve) => {
      handle = this.clock.setTimeout(() => resolve('timeout'), ms);
    });
    return {
      elapsed,
      cancel: () => {
        if (handle !== undefined) this.clock.clearTimeout(handle);
      },
    };
  }
}
