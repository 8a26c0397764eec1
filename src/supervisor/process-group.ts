import type { Clock, TimerHandle } from './clock.js';

/**
 * Signals for a child's whole process group. Every child is spawned as the leader of its own group
 * (detached), so signalling `-pid` reaches the grandchildren too and none is left holding the pipes.
 */

/** Sends `signal` to the group; false when no process of the group exists any more. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

export function groupAlive(pgid: number): boolean {
  return signalGroup(pgid, 0);
}

/**
 * Stop escalation: SIGTERM to the group now, SIGKILL when any member is still alive after the grace
 * period. The one timer is owned here and cleared by dispose(), so none outlives the process group.
 */
export class GroupTerminator {
  private killTimer: TimerHandle | null = null;
  private forced = false;

  constructor(
    private readonly pgid: number,
    private readonly clock: Clock,
  ) {}

  /** Whether the SIGKILL escalation had to be used. */
  get usedSigkill(): boolean {
    return this.forced;
  }

  terminate(graceMs: number): void {
    if (this.killTimer !== null) return;
    if (!signalGroup(this.pgid, 'SIGTERM')) return;
    this.killTimer = this.clock.setTimeout(() => {
      this.killTimer = null;
      if (signalGroup(this.pgid, 'SIGKILL')) this.forced = true;
    }, graceMs);
  }

  kill(): void {
    this.dispose();
    if (signalGroup(this.pgid, 'SIGKILL')) this.forced = true;
  }

  /**
   * Called when the leader has exited: keeps the escalation armed only while other members of the
   * group (grandchildren that ignored SIGTERM) are still alive.
   */
  leaderExited(): void {
    if (this.killTimer !== null && !groupAlive(this.pgid)) this.dispose();
  }

  dispose(): void {
    if (this.killTimer === null) return;
    this.clock.clearTimeout(this.killTimer);
    this.killTimer = null;
  }
}
