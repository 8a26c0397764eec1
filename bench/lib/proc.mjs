// Reading process figures from /proc (Linux only) and killing leftover processes by pid.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let clkTck = 0;
/** Clock ticks per second used by /proc/<pid>/stat (usually 100). */
function ticksPerSecond() {
  if (!clkTck) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/**
 * The fields of /proc/<pid>/stat after the command name, so index 0 is `state` (field 3 of proc(5)).
 * @param {number} pid
 * @returns {string[] | null} null when the process does not exist
 */
function statFields(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/**
 * A field of /proc/<pid>/status in KiB (VmRSS, VmHWM, …), or NaN when unavailable.
 * @param {number} pid
 * @param {string} field
 */
export function statusKB(pid, field = 'VmRSS') {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'latin1');
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Resident set size of a process in KiB. @param {number} pid */
export const rssKB = (pid) => statusKB(pid, 'VmRSS');

/** Peak resident set size (high-water mark) of a process in KiB. @param {number} pid */
export const hwmKB = (pid) => statusKB(pid, 'VmHWM');

/**
 * CPU time (user + system) consumed so far by a process, in ms; NaN when it is gone.
 * @param {number} pid
 */
export function cpuMs(pid) {
  const f = statFields(pid);
  if (!f) return Number.NaN;
  // proc(5): utime is field 14, stime field 15; our array starts at field 3.
  return ((Number(f[11]) + Number(f[12])) * 1000) / ticksPerSecond();
}

/**
 * CPU time of a process plus that of its children it has waited for (reaped), in ms; NaN when gone.
 * @param {number} pid
 */
export function cpuMsWithChildren(pid) {
  const f = statFields(pid);
  if (!f) return Number.NaN;
  // utime, stime, cutime, cstime = fields 14-17.
  return ((Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 1000) / ticksPerSecond();
}

/** Busy CPU time of the whole machine so far (all CPUs, ms). */
export function machineBusyMs() {
  const t = cpuTimes();
  return ((t.total - t.idle) * 1000) / ticksPerSecond();
}

/**
 * Identity of a process: pid plus its start time (guards against pid reuse), and its state letter.
 * @param {number} pid
 * @returns {{pid: number, start: string, state: string} | null}
 */
export function procInfo(pid) {
  const f = statFields(pid);
  if (!f) return null;
  return { pid, state: f[0] ?? '?', start: f[19] ?? '' }; // field 22 = starttime
}

/**
 * 'alive', 'zombie' (exited, not reaped) or 'gone' for a process recorded earlier with procInfo.
 * @param {{pid: number, start: string}} p
 */
export function procState(p) {
  const now = procInfo(p.pid);
  if (!now || now.start !== p.start) return 'gone';
  return now.state === 'Z' ? 'zombie' : 'alive';
}

/**
 * Every descendant (children, grandchildren, …) of a process, whatever its process group.
 * @param {number} root
 * @returns {{pid: number, start: string, state: string}[]}
 */
export function descendants(root) {
  /** @type {Map<number, number[]>} */
  const kids = new Map();
  /** @type {Map<number, {pid: number, start: string, state: string}>} */
  const infos = new Map();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const f = statFields(pid);
    if (!f) continue;
    const ppid = Number(f[1]);
    infos.set(pid, { pid, state: f[0] ?? '?', start: f[19] ?? '' });
    const list = kids.get(ppid);
    if (list) list.push(pid);
    else kids.set(ppid, [pid]);
  }
  const out = [];
  const queue = [...(kids.get(root) ?? [])];
  while (queue.length) {
    const pid = /** @type {number} */ (queue.shift());
    const info = infos.get(pid);
    if (info) out.push(info);
    queue.push(...(kids.get(pid) ?? []));
  }
  return out;
}

/**
 * SIGKILL every process of the list that still runs (same pid and start time); returns how many were alive.
 * @param {{pid: number, start: string}[]} list
 */
export function killSurvivors(list) {
  let alive = 0;
  for (const p of list) {
    if (procState(p) !== 'alive') continue;
    alive++;
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return alive;
}

/** Total and idle jiffies of all CPUs from /proc/stat. */
function cpuTimes() {
  const line = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0] ?? '';
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (f[3] ?? 0) + (f[4] ?? 0); // idle + iowait
  return { total: f.reduce((a, b) => a + b, 0), idle };
}

/**
 * How busy the machine is (0..1 of all CPUs) over `ms` milliseconds.
 * @param {number} ms
 */
export async function machineBusy(ms = 1000) {
  const a = cpuTimes();
  await new Promise((r) => setTimeout(r, ms));
  const b = cpuTimes();
  const total = b.total - a.total;
  return total > 0 ? 1 - (b.idle - a.idle) / total : 0;
}

/**
 * The command lines of the busiest other processes (by CPU time used over `ms`), for a warning.
 * @param {number} ms
 * @param {number} top
 */
export async function busiestProcesses(ms = 1000, top = 3) {
  const snap = () => {
    /** @type {Map<number, number>} */
    const m = new Map();
    for (const name of readdirSync('/proc')) {
      const pid = Number(name);
      if (!Number.isInteger(pid) || pid === process.pid) continue;
      const f = statFields(pid);
      if (f) m.set(pid, Number(f[11]) + Number(f[12]));
    }
    return m;
  };
  const a = snap();
  await new Promise((r) => setTimeout(r, ms));
  const b = snap();
  const used = [];
  for (const [pid, t] of b) {
    const d = t - (a.get(pid) ?? 0); // a process born during the window counts whole
    if (d > 0) used.push({ pid, pct: (d * 100 * 1000) / ticksPerSecond() / ms });
  }
  used.sort((x, y) => y.pct - x.pct);
  return used.slice(0, top).map(({ pid, pct }) => {
    let cmd = '?';
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' ').trim().slice(0, 60);
      if (!cmd) cmd = `[${readFileSync(`/proc/${pid}/comm`, 'latin1').trim()}]`;
    } catch {
      // gone
    }
    return `${pid} ${cmd} (${Math.round(pct)} %)`;
  });
}
