import type { RetryPolicy } from '../protocol/overseer/retry-policy.js';
import type { TaskRecord } from '../store/overseer-tasks.js';
import { nanosToMillis } from '../util/go-duration.js';
import type { TimerHandle } from './clock.js';
import { ExitWindow, MAX_REMEMBERED_EXITS } from './retry/exit-window.js';
import type { Worker } from './worker.js';

/** A task in memory: its record, its current worker (if any) and its pending restart (if any). */
export class SupervisedTask {
  worker: Worker | null = null;
  restartTimer: TimerHandle | null = null;
  exitWindow: ExitWindow;
  /** Output sequence numbers continue across restarts so clients can detect gaps. */
  outputSeq = 0;
  /**
   * Automatic restarts since the last manual start/reset or stable run: the exponent of the backoff.
   * In memory only: after a server restart no task is active, and the next start resets it anyway.
   */
  consecutiveRestarts = 0;

  constructor(readonly record: TaskRecord) {
    this.exitWindow = windowFor(record.retryPolicy, record.exitTimestamps);
  }

  get running(): boolean {
    return this.worker !== null && this.worker.state === 'running';
  }

  /** The later of last start and last exit: what `list` with `since` compares. */
  get lastActivityAt(): number | null {
    const { lastStartedAt, lastExitedAt } = this.record;
    if (lastStartedAt === null) return lastExitedAt;
    if (lastExitedAt === null) return lastStartedAt;
    return Math.max(lastStartedAt, lastExitedAt);
  }

  setRetryPolicy(policy: RetryPolicy | null): void {
    this.record.retryPolicy = policy;
    this.exitWindow = windowFor(policy, this.record.exitTimestamps);
  }

  clearExits(): void {
    this.exitWindow.clear();
    this.record.exitCount = 0;
    this.record.exitTimestamps = [];
  }
}

function windowFor(policy: RetryPolicy | null, exits: readonly number[]): ExitWindow {
  if (policy === null) return new ExitWindow(0, 0);
  const capacity = policy.errorThreshold > 0 ? MAX_REMEMBERED_EXITS : 0;
  return new ExitWindow(nanosToMillis(policy.errorWindowNs), capacity, exits);
}
