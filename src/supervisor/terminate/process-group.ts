import { readdirSync } from 'node:fs';
import type { Clock, TimerHandle } from '../clock.js';
import { isDeadState, readProcessStat } from '../recovery/process-identity.js';

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

/**
 * Signals the group, or the leader alone when its group does not exist yet: right after a PTY fork
 * the child has not called setsid() yet, so `-pid` names no group (ESRCH) while the child runs.
 */
function signalGroupOrLeader(pgid: number, signal: NodeJS.Signals): boolean {
  if (signalGroup(pgid, signal)) return true;
  try {
    process.kill(pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/**
 * Whether any process of the group is still running. A signal test alone is not enough: a killed
 * grandchild re-parented to an init that does not reap (as in some containers) stays a zombie, and
 * zombies still answer signal 0. So where /proc exists, zombies are not counted.
 */
export function groupAlive(pgid: number): boolean {
  if (!signalGroup(pgid, 0)) return false;
  let pids: string[];
  try {
    pids = readdirSync('/proc');
  } catch {
    return true;
  }
  for (const pid of pids) {
    if (pid.charCodeAt(0) > 57) continue;
    // Null when the process ended between the listing and the read.
    const stat = readProcessStat(Number(pid));
    if (stat !== null && stat.pgrp === pgid && !isDeadState(stat.state)) return true;
  }
  return false;
}

/**
 * After the leader exited, how often to look whether the rest of its group is gone (ms). Members that
 * just got SIGTERM take a moment to be reaped; once none is left the SIGKILL timer is cancelled.
 */
export const GROUP_EXIT_POLL_MS = 20;

/**
 * Stop escalation: SIGTERM to the group now, SIGKILL when any member is still alive after the grace
 * period. Its timers are owned here and cleared as soon as the group is gone, so none outlives it.
 */
export class GroupTerminator {
  private killTimer: TimerHandle | null = null;
  private pollTimer: TimerHandle | null = null;
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
    if (!signalGroupOrLeader(this.pgid, 'SIGTERM')) return;
    this.killTimer = this.clock.setTimeout(() => {
      this.killTimer = null;
      this.dispose();
      if (signalGroupOrLeader(this.pgid, 'SIGKILL')) this.forced = true;
    }, graceMs);
  }

  kill(): void {
    this.dispose();
    if (signalGroupOrLeader(this.pgid, 'SIGKILL')) this.forced = true;
  }

  /**
   * Called when the leader has exited: keeps the escalation armed only while other members of the
   * group (grandchildren that ignored SIGTERM, or are still being reaped) are alive.
   */
  leaderExited(): void {
    if (this.killTimer === null || this.pollTimer !== null) return;
    if (!groupAlive(this.pgid)) {
      this.dispose();
      return;
    }
    this.pollTimer = this.clock.setTimeout(() => {
      this.pollTimer = null;
      this.leaderExited();
    }, GROUP_EXIT_POLL_MS);
  }

  dispose(): void {
    if (this.killTimer !== null) this.clock.clearTimeout(this.killTimer);
    if (this.pollTimer !== null) this.clock.clearTimeout(this.pollTimer);
    this.killTimer = null;
    this.pollTimer = null;
  }
}
