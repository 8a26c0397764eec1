import { readdirSync } from 'node:fs';
import { type Clock, systemClock } from './clock.js';
import { GROUP_EXIT_POLL_MS, groupAlive } from './process-group.js';
import { currentBootId, isDeadState, readProcessStat } from './process-identity.js';

/**
 * Ends the orphans of a server instance that died without handling its children's exits (kill -9, a
 * crash, a power cut of the server alone). Each child led its own process group, so the group is
 * ended: SIGTERM, then SIGKILL for what is still alive after the grace period.
 *
 * A process is only signalled when it is provably the one recorded: same boot, same pid, same start
 * time. A zombie leader with the recorded start time still holds its pid, so its group is still the
 * recorded one too. Never signalled: a process whose start time differs (the pid was reused), this
 * server's own pid or process group, pid 0 or 1.
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
 * - `ended`: it was running and ended after SIGTERM;
 * - `killed`: it was still running after the grace period and got SIGKILL;
 * - `already-gone`: nothing of it was running (or it was recorded in an earlier boot);
 * - `pid-reused`: its pid now belongs to another process, which was left alone;
 * - `spared`: it is this server itself or this server's process group leader, so it was left alone.
 */
export type ReapOutcomeKind = 'ended' | 'killed' | 'already-gone' | 'pid-reused' | 'spared';

export interface ReapOutcome<E extends OrphanCandidate> {
  readonly entry: E;
  readonly outcome: ReapOutcomeKind;
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
  /** The living members of its group when it was first signalled, by pid, with their start times. */
  readonly members: ReadonlyMap<number, string>;
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
  const targets: Target<E>[] = [];
  for (const entry of entries) {
    const outcome = classify(entry, bootId, ownPgid);
    if (outcome !== null) {
      outcomes.set(entry, outcome);
      continue;
    }
    const target: Target<E> = { entry, members: livingMembers(entry.pid) };
    if (signalTarget(target, 'SIGTERM', log)) targets.push(target);
    else outcomes.set(entry, 'already-gone');
  }

  if (targets.length > 0) {
    const stillAlive = (): Target<E>[] => targets.filter((target) => targetAlive(target));
    await waitFor(() => stillAlive().length === 0, options.graceMs, clock);
    const survivors = new Set(stillAlive());
    for (const target of targets) {
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
    ledger.remove(entry);
    report.push({ entry, outcome });
    if (outcome === 'ended' || outcome === 'killed' || outcome === 'spared') {
      const detail: Record<string, unknown> = { ...(entry as object), outcome };
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
  if (!Number.isInteger(entry.pid) || entry.pid <= 1) return 'already-gone';
  // Start times count clock ticks since boot: from another boot they prove nothing (and that
  // boot's processes are gone anyway).
  if (entry.bootId !== bootId) return 'already-gone';
  const stat = readProcessStat(entry.pid);
  if (stat === null) return 'already-gone';
  if (stat.startTime !== entry.startTime) return 'pid-reused';
  if (entry.pid === process.pid || entry.pid === ownPgid) return 'spared';
  // The leader is the recorded one (running, or a zombie that still holds the pid and group id).
  return isDeadState(stat.state) && !groupAlive(entry.pid) ? 'already-gone' : null;
}

/** Whether the recorded leader still holds its pid (running or as a zombie). */
function leaderHeld(entry: OrphanCandidate): boolean {
  return readProcessStat(entry.pid)?.startTime === entry.startTime;
}

/** The group's members that are not zombies, each with its start time. */
function livingMembers(pgid: number): Map<number, string> {
  const members = new Map<number, string>();
  let pids: string[];
  try {
    pids = readdirSync('/proc');
  } catch {
    return members;
  }
  for (const name of pids) {
    if (name.charCodeAt(0) > 57) continue;
    const pid = Number(name);
    const stat = readProcessStat(pid);
    if (stat !== null && stat.pgrp === pgid && !isDeadState(stat.state)) members.set(pid, stat.startTime);
  }
  return members;
}

function targetAlive(target: Target<OrphanCandidate>): boolean {
  const { entry } = target;
  // While the leader holds its pid, its group id cannot be taken by another group.
  if (leaderHeld(entry)) {
    const stat = readProcessStat(entry.pid);
    if (stat !== null && !isDeadState(stat.state)) return true;
    return groupAlive(entry.pid);
  }
  // The leader is gone (reaped): only the members seen at the start still prove to be the group's.
  for (const [pid, startTime] of target.members) {
    const stat = readProcessStat(pid);
    if (stat !== null && stat.startTime === startTime && !isDeadState(stat.state)) return true;
  }
  return false;
}

/**
 * Signals the group while the recorded leader still holds its pid (or the leader alone when it is in
 * no group of its own); once the leader is gone, only the members seen at the start, each checked by
 * its start time. False when nothing was signalled.
 */
function signalTarget(target: Target<OrphanCandidate>, signal: NodeJS.Signals, log: ReapLog): boolean {
  const { entry } = target;
  const self = process.pid;
  if (leaderHeld(entry)) {
    if (sendSignal(-entry.pid, signal, log)) return true;
    return sendSignal(entry.pid, signal, log);
  }
  let sent = false;
  for (const [pid, startTime] of target.members) {
    if (pid === self || readProcessStat(pid)?.startTime !== startTime) continue;
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
