import { readdirSync } from 'node:fs';
import { isDeadState, type ProcessStat, readProcessStat } from './process-identity.js';

/**
 * Who still belongs to the process group of a recorded leader that is gone (reaped), e.g. the
 * `sleep` of `sh -c 'sleep 3600 & while :; do echo line; done'` after the `sh` died of SIGPIPE with
 * its server.
 *
 * Why a member can be told apart from a stranger although the leader's pid no longer names it:
 * - the kernel keeps a pid number allocated while any process (zombies included) still uses it as
 *   its pid, group id or session id; so while a member of group P lives, no new process can get pid
 *   P, and no new group P can form. A living group P is the recorded one or a group formed after
 *   the recorded one had vanished entirely (only possible after the pid space wrapped around);
 * - every recorded child was started as the leader of its own session (setsid: detached spawns,
 *   PTYs), so its members have session id P too, which rules out groups a shell formed with
 *   setpgid in some other session (pipelines, jobs);
 * - nothing joins a session from outside, so every member started after its leader did: a process
 *   whose start time is earlier than the recorded leader's is never one of its members;
 * - a later group P would have to be a new session of a new process P that has itself exited, with
 *   members left: not ruled out by any of this, but it needs the pid space to wrap around between
 *   the kill of the old server and the start of the new one, and the pid to land exactly on P.
 */

/** A living process of a recorded group, identified (within this boot) by pid and start time. */
export type GroupMembers = Map<number, string>;

/** What identifies the recorded leader: its pid (= group and session id) and its start time. */
export interface RecordedLeader {
  readonly pid: number;
  readonly startTime: string;
}

/**
 * Whether the process `pid` with `stat` can be a member of the recorded leader's group after the
 * leader is gone. Never this server itself; zombies have ended already and are not members.
 */
export function isRecordedGroupMember(leader: RecordedLeader, pid: number, stat: ProcessStat): boolean {
  if (pid <= 1 || pid === process.pid || isDeadState(stat.state)) return false;
  if (stat.pgrp !== leader.pid || stat.session !== leader.pid) return false;
  return BigInt(stat.startTime) >= BigInt(leader.startTime);
}

/** The living members of the recorded leader's group, by pid, with their start times. */
export function recordedGroupMembers(leader: RecordedLeader): GroupMembers {
  const members: GroupMembers = new Map();
  for (const pid of processIds()) {
    const stat = readProcessStat(pid);
    if (stat !== null && isRecordedGroupMember(leader, pid, stat)) members.set(pid, stat.startTime);
  }
  return members;
}

/** The living processes of group `pgid`, whoever started them (for a group whose leader holds its pid). */
export function livingGroupMembers(pgid: number): GroupMembers {
  const members: GroupMembers = new Map();
  for (const pid of processIds()) {
    const stat = readProcessStat(pid);
    if (stat !== null && stat.pgrp === pgid && !isDeadState(stat.state)) members.set(pid, stat.startTime);
  }
  return members;
}

/** Whether `pid` is still the living process that had `startTime`. */
export function stillMember(pid: number, startTime: string): boolean {
  const stat = readProcessStat(pid);
  return stat !== null && stat.startTime === startTime && !isDeadState(stat.state);
}

function processIds(): number[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    // No /proc: nothing can be identified, so nothing is signalled.
    return [];
  }
  const pids: number[] = [];
  for (const name of names) if (name.charCodeAt(0) <= 57) pids.push(Number(name));
  return pids;
}
