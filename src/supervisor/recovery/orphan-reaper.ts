import { type Clock, systemClock } from '../clock.js';
import { GROUP_EXIT_POLL_MS } from '../terminate/process-group.js';
import { type GroupMembers, livingGroupMembers, recordedGroupMembers, stillMember } from './orphan-group.js';
import { currentBootId, isDeadState, readProcessStat } from './process-identity.js';

/**
 * Ends the orphans of a server instance that died without handling its children's exits (kill -9, a
 * crash, a power cut of the server alone). Each child led its own process group, so the group is
 * ended: SIGTERM, then SIGKILL for what is still alive after the grace period.
 *
 * A process is only signalled when it is provably the one recorded, or provably of its group: same
 * boot, and
 * - while the recorded leader still holds its pid (same pid, same start time; running, or a zombie),
 *   its group id is the recorded one and the group is signalled;
 * - once the leader is gone (it died first, e.g. of SIGPIPE when the server's end of its pipe closed,
 *   and was reaped), the group's remaining members are found by group and session id and by start
 *   times not earlier than the leader's (see orphan-group.ts), and each is signalled by its pid.
 * Never signalled: a pid that now names another process (reused), this server's own pid or process
 * group, pid 0 or 1.
 */

/** What the reaper needs of a recorded process (the store's ledger entries have these fields). */
export interface OrphanCandidate {
  readonly pid: number;
  /** Field 22 of /proc/<pid>/stat when the process was recorded. */
  readonly startTime: string;
  readonly bootId: string | null;
}

export interface OrphanLedger<E extends OrphanCandidate> {
  /** The entries of instances that no longer run. */
  fromOtherInstances(): E[];
  remove(entry: E): void;
}

/**
 * - `ended`: it (or what was left of its group) was running and ended after SIGTERM;
 * - `killed`: some of it was still running after the grace period and got SIGKILL;
 * - `already-gone`: nothing of it was running (or it was recorded in an earlier boot);
 * - `pid-reused`: its pid now belongs to another process, which was left alone;
 * - `spared`: it is this server itself or this server's process group leader, so it was left alone.
 */
export type ReapOutcomeKind = 'ended' | 'killed' | 'already-gone' | 'pid-reused' | 'spared';

export interface ReapOutcome<E extends OrphanCandidate> {
  readonly entry: E;
  readonly outcome: ReapOutcomeKind;
  /** How many living processes of its group were signalled (the leader included when it ran). */
  readonly members: number;
}

export interface ReapReport<E extends OrphanCandidate> {
  /** One per ledger entry of the earlier instances, in ledger order. */
  readonly outcomes: readonly ReapOutcome<E>[];
}

export interface ReapLog {
  info(message: string, detail?: Record<string, unknown>): void;
  warn(message: string, detail?: Record<string, unknown>): void;
}

export interface ReapOptions {
  /** How long the groups get between SIGTERM and SIGKILL (ms). */
  readonly graceMs: number;
  readonly log: ReapLog;
  readonly clock?: Clock;
  /** How long to wait for the SIGKILLed to disappear before reporting anyway (ms). */
  readonly killWaitMs?: number;
}

/** After SIGKILL, how long to wait for the processes to be gone (ms); SIGKILL cannot be ignored. */
export const REAP_KILL_WAIT_MS = 2_000;

interface Target<E extends OrphanCandidate> {
  readonly entry: E;
  /**
   * Every living member of its group seen so far, by pid, with its start time: the count in the
   * report, and (once the leader is gone) the only processes that are signalled.
   */
  readonly members: GroupMembers;
}

export async function reapOrphans<E extends OrphanCandidate>(
  ledger: OrphanLedger<E>,
  options: ReapOptions,
): Promise<ReapReport<E>> {
  const clock = options.clock ?? systemClock;
  const { log } = options;
  const entries = ledger.fromOtherInstances();
  if (entries.length === 0) return { outcomes: [] };

  const bootId = currentBootId();
  const ownPgid = readProcessStat(process.pid)?.pgrp ?? null;
  const outcomes = new Map<E, ReapOutcomeKind>();
  const targets = new Map<E, Target<E>>();
  for (const entry of entries) {
    const outcome = classify(entry, bootId, ownPgid);
    if (outcome !== null) {
      outcomes.set(entry, outcome);
      continue;
    }
    const target: Target<E> = { entry, members: new Map() };
    refreshMembers(target);
    if (signalTarget(target, 'SIGTERM', log)) targets.set(entry, target);
    else outcomes.set(entry, 'already-gone');
  }

  if (targets.size > 0) {
    const all = [...targets.values()];
    const stillAlive = (): Target<E>[] => all.filter((target) => targetAlive(target));
    await waitFor(() => stillAlive().length === 0, options.graceMs, clock);
    const survivors = new Set(stillAlive());
    for (const target of all) {
      outcomes.set(target.entry, survivors.has(target) ? 'killed' : 'ended');
      if (survivors.has(target)) signalTarget(target, 'SIGKILL', log);
    }
    if (survivors.size > 0) {
      const remaining = (): Target<E>[] => [...survivors].filter((target) => targetAlive(target));
      await waitFor(() => remaining().length === 0, options.killWaitMs ?? REAP_KILL_WAIT_MS, clock);
      for (const target of remaining()) {
        log.warn('orphaned process still alive after SIGKILL', { pid: target.entry.pid });
      }
    }
  }

  const report: ReapOutcome<E>[] = [];
  for (const entry of entries) {
    const outcome = outcomes.get(entry) ?? 'already-gone';
    const members = targets.get(entry)?.members.size ?? 0;
    ledger.remove(entry);
    report.push({ entry, outcome, members });
    if (outcome === 'ended' || outcome === 'killed' || outcome === 'spared') {
      const detail: Record<string, unknown> = { ...(entry as object), outcome, members };
      if (outcome === 'spared') log.warn('recorded process is this server or its group: left alone', detail);
      else log.info(`orphaned process group ${outcome}`, detail);
    }
  }
  return { outcomes: report };
}

/** The outcome when nothing is to be signalled; null when the recorded process (group) is to be ended. */
function classify(
  entry: OrphanCandidate,
  bootId: string | null,
  ownPgid: number | null,
): ReapOutcomeKind | null {
  // kill(-1) would reach every process, kill(0) our own group: such pids are never signalled.
  if (!Number.isInteger(entry.pid) || entry.pid <= 1 || !/^\d+$/.test(entry.startTime)) return 'already-gone';
  // Start times count clock ticks since boot: from another boot they prove nothing (and that
  // boot's processes are gone anyway).
  if (entry.bootId !== bootId) return 'already-gone';
  const stat = readProcessStat(entry.pid);
  // The pid was handed out again, which the kernel does only once no process uses it as pid, group
  // or session id any more: the recorded group is gone, and group `pid` (if any) is a stranger's.
  if (stat !== null && stat.startTime !== entry.startTime) return 'pid-reused';
  if (entry.pid === process.pid || entry.pid === ownPgid) return 'spared';
  if (stat === null || isDeadState(stat.state)) {
    // The leader died first (reaped, or a zombie): what is left of its group, if anything.
    return livingGroupMembers(entry.pid).size === 0 ? 'already-gone' : null;
  }
  return null;
}

/** Whether the recorded leader still holds its pid (running or as a zombie). */
function leaderHeld(entry: OrphanCandidate): boolean {
  return readProcessStat(entry.pid)?.startTime === entry.startTime;
}

/**
 * Adds the group's living members to what the target knows. While the leader holds its pid, the
 * group id cannot name another group, so every living process in it is a member. Once it is gone,
 * only processes that can be of the recorded group count (see orphan-group.ts), and a rescan is only
 * trusted while a member seen before still lives (then the group never ceased to exist, so its id
 * was never free to be taken by another).
 */
function refreshMembers(target: Target<OrphanCandidate>): void {
  const { entry, members } = target;
  if (leaderHeld(entry)) {
    // The leader counts even outside its group: right after a PTY fork it has not called setsid().
    if (stillMember(entry.pid, entry.startTime)) members.set(entry.pid, entry.startTime);
    for (const [pid, startTime] of livingGroupMembers(entry.pid)) members.set(pid, startTime);
    return;
  }
  const continuous = members.size === 0 || [...members].some(([pid, start]) => stillMember(pid, start));
  if (!continuous) return;
  for (const [pid, startTime] of recordedGroupMembers(entry)) members.set(pid, startTime);
}

function targetAlive(target: Target<OrphanCandidate>): boolean {
  refreshMembers(target);
  for (const [pid, startTime] of target.members) if (stillMember(pid, startTime)) return true;
  return false;
}

/**
 * Signals the group while the recorded leader still holds its pid (or the leader alone when it is in
 * no group of its own); once the leader is gone, each known member by its pid, checked by its start
 * time. False when nothing was signalled.
 */
function signalTarget(target: Target<OrphanCandidate>, signal: NodeJS.Signals, log: ReapLog): boolean {
  const { entry } = target;
  if (leaderHeld(entry)) {
    if (sendSignal(-entry.pid, signal, log)) return true;
    return sendSignal(entry.pid, signal, log);
  }
  let sent = false;
  for (const [pid, startTime] of target.members) {
    if (pid <= 1 || pid === process.pid || !stillMember(pid, startTime)) continue;
    if (sendSignal(pid, signal, log)) sent = true;
  }
  return sent;
}

/** process.kill that reports whether the target existed; EPERM is logged, never thrown. */
function sendSignal(target: number, signal: NodeJS.Signals, log: ReapLog): boolean {
  try {
    process.kill(target, signal);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ESRCH') log.warn('cannot signal orphaned process', { target, signal, error: code });
    return false;
  }
}

/** Resolves once `done()` holds or `timeoutMs` passed, polling on the clock. */
function waitFor(done: () => boolean, timeoutMs: number, clock: Clock): Promise<void> {
  const deadline = clock.now() + timeoutMs;
  return new Promise((resolve) => {
    const check = (): void => {
      if (done() || clock.now() >= deadline) {
        resolve();
        return;
      }
      clock.setTimeout(check, Math.min(GROUP_EXIT_POLL_MS, Math.max(0, deadline - clock.now())));
    };
    check();
  });
}
