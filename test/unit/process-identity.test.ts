import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  currentBootId,
  isSameProcess,
  processStartTime,
  readProcessStat,
} from '../../src/supervisor/recovery/process-identity.js';
import { pollUntil } from '../helpers/poll.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/** Real processes only: the identity is what the kernel says in /proc. */
describe('process identity', () => {
  const children: ChildProcess[] = [];
  const temps: Array<{ remove(): void }> = [];

  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    for (const temp of temps.splice(0)) temp.remove();
  });

  function start(command: string, args: string[], detached = false): ChildProcess {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'ignore'], detached });
    children.push(child);
    return child;
  }

  function firstLine(child: ChildProcess): Promise<string> {
    return new Promise((resolve) => {
      let text = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        const newline = text.indexOf('\n');
        if (newline >= 0) resolve(text.slice(0, newline));
      });
    });
  }

  it('reads its own start time: a decimal number of ticks, stable, and the same process', () => {
    const own = processStartTime(process.pid);
    expect(own).toMatch(/^\d+$/);
    expect(processStartTime(process.pid)).toBe(own);
    expect(isSameProcess(process.pid, own ?? '')).toBe(true);
    // The group field is read from the same line: it matches what ps says.
    const ps = spawnSync('ps', ['-o', 'pgid=', '-p', String(process.pid)], { encoding: 'utf8' });
    expect(readProcessStat(process.pid)?.pgrp).toBe(Number(ps.stdout.trim()));
  });

  it('identifies a child, which started after us; once it is gone the pid names nothing', async () => {
    const child = start('sleep', ['30']);
    const pid = child.pid ?? 0;
    const started = processStartTime(pid);
    expect(started).toMatch(/^\d+$/);
    expect(BigInt(started ?? '0')).toBeGreaterThanOrEqual(BigInt(processStartTime(process.pid) ?? '0'));
    expect(isSameProcess(pid, started ?? '')).toBe(true);

    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited; // Node has reaped it: no zombie is left.
    expect(processStartTime(pid)).toBeNull();
    expect(isSameProcess(pid, started ?? '')).toBe(false);
  });

  it('says null for a pid that does not exist, and for pids that cannot be processes', () => {
    const done = spawnSync('true');
    expect(done.pid).toBeGreaterThan(0);
    expect(processStartTime(done.pid)).toBeNull();
    for (const pid of [0, -1, 1.5, Number.NaN, 2 ** 31]) expect(processStartTime(pid)).toBeNull();
  });

  it('says null for a zombie, although /proc still lists it with its start time', async () => {
    // `sleep 0` exits at once; its parent became `sleep 30` by exec and never waits for it.
    const parent = start('/bin/sh', ['-c', 'sleep 0 & echo $!; exec sleep 30']);
    const zombie = Number(await firstLine(parent));
    await pollUntil(() => readProcessStat(zombie)?.state === 'Z', 'the child to become a zombie');
    expect(readProcessStat(zombie)?.startTime).toMatch(/^\d+$/);
    expect(processStartTime(zombie)).toBeNull();
    expect(isSameProcess(zombie, readProcessStat(zombie)?.startTime ?? '')).toBe(false);
  });

  it('does not take a live pid with another start time for the recorded process (pid reuse)', () => {
    const child = start('sleep', ['30']);
    const pid = child.pid ?? 0;
    const started = BigInt(processStartTime(pid) ?? '0');
    expect(isSameProcess(pid, String(started - 1n))).toBe(false);
    expect(isSameProcess(pid, String(started + 1n))).toBe(false);
    expect(isSameProcess(pid, ` ${started}`)).toBe(false);
    expect(isSameProcess(pid, String(started))).toBe(true);
  });

  it('parses after the last parenthesis: a command name with spaces and parentheses', async () => {
    const temp = makeTempDir();
    temps.push(temp);
    // The kernel takes the command name (comm) from the executable's file name.
    const odd = join(temp.path, 'a) b (c');
    symlinkSync('/bin/sh', odd);
    const child = start(odd, ['-c', 'echo ready; exec sleep 30'], true);
    await firstLine(child);
    const pid = child.pid ?? 0;
    const stat = readProcessStat(pid);
    expect(stat?.startTime).toMatch(/^\d+$/);
    expect(stat?.pgrp).toBe(pid); // detached: the leader of its own group
    expect(stat?.state).not.toBe('Z');
  });

  it('reads this boot id: a UUID, the same every time', () => {
    const id = currentBootId();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(currentBootId()).toBe(id);
  });
});
