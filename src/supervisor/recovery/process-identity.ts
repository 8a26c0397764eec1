import { readFileSync } from 'node:fs';

/**
 * Who a pid is. A pid alone does not name a process across time: once it exits, the kernel may hand
 * the same number to an unrelated one. The pair (pid, start time) does, within one boot: the start
 * time (field 22 of /proc/<pid>/stat, clock ticks since boot) cannot repeat for one pid while the
 * machine runs. So a process recorded by an earlier server is identified by both, plus the boot id.
 */

/** The fields of /proc/<pid>/stat that identify a process and its group. */
export interface ProcessStat {
  /** Field 3: R, S, D, Z (zombie), X (dead), … */
  readonly state: string;
  /** Field 5: the process group id. */
  readonly pgrp: number;
  /** Field 6: the session id. */
  readonly session: number;
  /** Field 22: start time in clock ticks after boot, as a decimal string. */
  readonly startTime: string;
}

/** Reads /proc/<pid>/stat; null when the process does not exist (or /proc is unavailable). */
export function readProcessStat(pid: number): ProcessStat | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may itself hold spaces and parentheses:
  // everything after the last ')' is fields 3, 4, … separated by single spaces.
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const fields = text.slice(close + 2).split(' ');
  const state = fields[0];
  const pgrp = Number(fields[2]);
  const session = Number(fields[3]);
  const startTime = fields[19];
  if (state === undefined || startTime === undefined || !/^\d+$/.test(startTime)) return null;
  return { state, pgrp, session, startTime };
}

/** Whether a /proc state is a process that has ended (a zombie not yet reaped, or dead). */
export function isDeadState(state: string): boolean {
  return state === 'Z' || state === 'X';
}

/**
 * The start time of a running process (field 22 of /proc/<pid>/stat) as a decimal string; null when
 * it does not exist, is a zombie, or /proc is unavailable.
 */
export function processStartTime(pid: number): string | null {
  const stat = readProcessStat(pid);
  return stat === null || isDeadState(stat.state) ? null : stat.startTime;
}

/** Whether `pid` is still the running process that had `startTime` (not a zombie, not a reused pid). */
export function isSameProcess(pid: number, startTime: string): boolean {
  return processStartTime(pid) === startTime;
}

let bootId: string | null | undefined;

/** This boot's id (/proc/sys/kernel/random/boot_id): start times compare only within one boot. */
export function currentBootId(): string | null {
  if (bootId === undefined) {
    try {
      bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim() || null;
    } catch {
      bootId = null;
    }
  }
  return bootId;
}
