import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../src/store/database.js';
import type { LedgerEntry } from '../../src/store/process-ledger.js';
import { LiveProcessLedger } from '../../src/supervisor/recovery/ledger-liveness.js';
import { isRecordedGroupMember } from '../../src/supervisor/recovery/orphan-group.js';
import { reapOrphans } from '../../src/supervisor/recovery/orphan-reaper.js';
import {
  currentBootId,
  isSameProcess,
  processStartTime,
  readProcessStat,
} from '../../src/supervisor/recovery/process-identity.js';
import { pollUntil, processExists } from '../helpers/poll.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

interface Logged {
  level: 'info' | 'warn';
  message: string;
  detail?: Record<string, unknown>;
}

/**
 * The reaper against real process groups recorded in a real SQLite ledger by an "old instance" that
 * is gone, run from a new instance.
 */
describe('reapOrphans', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let db: Database;
  let logged: Logged[];
  const children: ChildProcess[] = [];
  const stray: number[] = [];

  const log = {
    info: (message: string, detail?: Record<string, unknown>) =>
      logged.push({ level: 'info', message, detail }),
    warn: (message: string, detail?: Record<string, unknown>) =>
      logged.push({ level: 'warn', message, detail }),
  };

  beforeEach(() => {
    temp = makeTempDir('orphan-reaper-');
    db = openDatabase(`${temp.path}/state.db`);
    logged = [];
  });

  afterEach(() => {
    for (const child of children.splice(0)) if (child.pid !== undefined) killGroup(child.pid);
    for (const pid of stray.splice(0)) killGroup(pid);
    db.close();
    temp.remove();
  });

  function killGroup(pid: number): void {
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }

  /** A ledger written by an instance that has since died (a kill -9 of the server). */
  function deadInstanceLedger(instanceId = 'old-instance'): LiveProcessLedger {
    const ledger = LiveProcessLedger.open(db, instanceId);
    // The instance was this test process; make it look like a process that no longer runs.
    db.prepare("UPDATE process_ledger_instances SET start_time = 'ended' WHERE instance_id = ?").run(
      instanceId,
    );
    return ledger;
  }

  /** A detached child: the leader of its own process group, its first line read. */
  async function startGroup(command: string, args: string[] = []): Promise<{ pid: number; line: string }> {
    const child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(child);
    const line = await new Promise<string>((resolve) => {
      let text = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes('\n')) resolve(text.slice(0, text.indexOf('\n')));
      });
    });
    return { pid: child.pid ?? 0, line };
  }

  /**
   * A real orphan: a group leader whose parent has exited, so it belongs to init now (as the workers
   * of a killed server do). Returns its pid, which `setsid` made the id of its own group.
   */
  async function startOrphan(script: string): Promise<number> {
    const launcher = spawn('/bin/sh', ['-c', 'setsid "$0" >/dev/null 2>&1 & echo $!', script], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const pid = await new Promise<number>((resolve) => {
      launcher.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
    });
    await new Promise((resolve) => launcher.once('exit', resolve));
    stray.push(pid);
    await pollUntil(() => readProcessStat(pid)?.pgrp === pid, 'the orphan to lead its own group');
    return pid;
  }

  function outcomeOf(
    report: Awaited<ReturnType<typeof reapOrphans<LedgerEntry>>>,
    ownerId: string,
  ): string | undefined {
    return report.outcomes.find((o) => o.entry.ownerId === ownerId)?.outcome;
  }

  it('ends orphaned groups with SIGTERM, grandchildren included, and forgets them', async () => {
    const old = deadInstanceLedger();
    const orphan = await startOrphan(fixture('never-exits.sh'));
    const parent = await startGroup(fixture('spawns-grandchild.sh'));
    const grandchild = Number(parent.line.replace('grandchild ', ''));
    expect(readProcessStat(grandchild)?.pgrp).toBe(parent.pid);
    old.record('overseer', 'orphan', orphan);
    old.record('session', 'parent', parent.pid);
    expect(readProcessStat(orphan)?.state).not.toBe('Z');

    const current = LiveProcessLedger.open(db, 'new-instance');
    const started = Date.now();
    const report = await reapOrphans(current, { graceMs: 5_000, log });

    expect(Date.now() - started).toBeLessThan(4_000); // no need to wait for the grace period
    expect(outcomeOf(report, 'orphan')).toBe('ended');
    expect(outcomeOf(report, 'parent')).toBe('ended');
    expect(report.outcomes.map((o) => o.entry.ownerKind).sort()).toEqual(['overseer', 'session']);
    for (const pid of [orphan, parent.pid, grandchild]) expect(processExists(pid), `pid ${pid}`).toBe(false);
    expect(current.fromOtherInstances()).toEqual([]);
    expect(db.prepare('SELECT count(*) AS n FROM process_ledger').get()).toEqual({ n: 0 });
    expect(logged.filter((l) => l.message === 'orphaned process group ended')).toHaveLength(2);
  });

  it('kills a group that ignores SIGTERM once the grace period is over', async () => {
    const old = deadInstanceLedger();
    const stubborn = await startGroup(fixture('ignores-sigterm.sh'));
    old.record('overseer', 'stubborn', stubborn.pid);

    const started = Date.now();
    const report = await reapOrphans(LiveProcessLedger.open(db, 'new-instance'), {
      graceMs: 300,
      log,
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(report.outcomes).toEqual([
      // The shell and its `sleep`.
      { entry: expect.objectContaining({ pid: stubborn.pid }), outcome: 'killed', members: 2 },
    ]);
    expect(processExists(stubborn.pid)).toBe(false);
  });

  it('never signals a live process whose start time differs from the recorded one (pid reuse)', async () => {
    const old = deadInstanceLedger();
    // Dies of SIGTERM (and of SIGKILL): if it survives, it was not signalled.
    const bystander = await startGroup(fixture('never-exits.sh'));
    old.record('overseer', 'reused', bystander.pid);
    const real = processStartTime(bystander.pid) ?? '0';
    db.prepare('UPDATE process_ledger SET start_time = ? WHERE pid = ?').run(
      String(BigInt(real) - 1n),
      bystander.pid,
    );

    const report = await reapOrphans(LiveProcessLedger.open(db, 'new-instance'), { graceMs: 200, log });
    expect(report.outcomes.map((o) => o.outcome)).toEqual(['pid-reused']);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(processExists(bystander.pid)).toBe(true);
    expect(processStartTime(bystander.pid)).toBe(real);
    expect(db.prepare('SELECT count(*) AS n FROM process_ledger').get()).toEqual({ n: 0 });
  });

  it('never signals a process recorded in another boot', async () => {
    const old = deadInstanceLedger();
    const bystander = await startGroup(fixture('never-exits.sh'));
    old.record('overseer', 'other-boot', bystander.pid);
    db.prepare("UPDATE process_ledger SET boot_id = 'another-boot' WHERE pid = ?").run(bystander.pid);

    const report = await reapOrphans(LiveProcessLedger.open(db, 'new-instance'), { graceMs: 200, log });
    expect(report.outcomes.map((o) => o.outcome)).toEqual(['already-gone']);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(processExists(bystander.pid)).toBe(true);
  });

  it('reports a process that ended on its own as already gone', async () => {
    const old = deadInstanceLedger();
    const gone = await startGroup(fixture('never-exits.sh'));
    old.record('overseer', 'gone', gone.pid);
    killGroup(gone.pid);
    await pollUntil(() => !processExists(gone.pid), 'the process to end');

    const report = await reapOrphans(LiveProcessLedger.open(db, 'new-instance'), { graceMs: 200, log });
    expect(report.outcomes.map((o) => o.outcome)).toEqual(['already-gone']);
    expect(db.prepare('SELECT count(*) AS n FROM process_ledger').get()).toEqual({ n: 0 });
  });

  it('ends the rest of a group whose leader is a zombie (it still holds the group id)', async () => {
    deadInstanceLedger();
    // The leader (its own group, by setsid) starts a member and exits at once; its parent became
    // `sleep 30` by exec and never waits, so the leader stays a zombie while the member runs on.
    const launcher = spawn(
      '/bin/sh',
      ['-c', 'setsid /bin/sh -c "sleep 1000 & echo \\$\\$ \\$!" & exec sleep 30'],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    children.push(launcher);
    const [leader = 0, member = 0] = await new Promise<number[]>((resolve) => {
      launcher.stdout.once('data', (chunk: Buffer) =>
        resolve(chunk.toString().trim().split(' ').map(Number)),
      );
    });
    stray.push(member);
    await pollUntil(() => readProcessStat(leader)?.state === 'Z', 'the leader to become a zombie');
    // Recorded as the running process it was (record() refuses a zombie).
    db.prepare(`
      INSERT INTO process_ledger (owner_kind, owner_id, pid, start_time, boot_id, instance_id, recorded_at)
      VALUES ('overseer', 'zombie-leader', ?, ?, ?, 'old-instance', 0)`).run(
      leader,
      readProcessStat(leader)?.startTime,
      currentBootId(),
    );
    expect(processExists(member)).toBe(true);
    expect(readProcessStat(member)?.pgrp).toBe(leader);

    const report = await reapOrphans(LiveProcessLedger.open(db, 'new-instance'), { graceMs: 2_000, log });
    expect(report.outcomes.map((o) => o.outcome)).toEqual(['ended']);
    expect(processExists(member)).toBe(false);
  });

  /** Reads lines from a child's stdout, one at a time, in order. */
  function lineReader(child: ChildProcess): () => Promise<string> {
    const lines: string[] = [];
    const waiting: ((line: string) => void)[] = [];
    let partial = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      partial += chunk;
      for (let end = partial.indexOf('\n'); end >= 0; end = partial.indexOf('\n')) {
        const line = partial.slice(0, end);
        partial = partial.slice(end + 1);
        const next = waiting.shift();
        if (next === undefined) lines.push(line);
        else next(line);
      }
    });
    return () => {
      const line = lines.shift();
      return line === undefined ? new Promise((resolve) => waiting.push(resolve)) : Promise.resolve(line);
    };
  }

  /** Ends a child's stdin and waits until it exited and was reaped (by this process, its parent). */
  async function endAndReap(child: ChildProcess): Promise<void> {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.stdin?.end();
    await exited;
    await pollUntil(() => readProcessStat(child.pid ?? 0) === null, 'the leader to be reaped');
  }

  it('ends the rest of a group whose leader died first and was reaped (its pid names nothing now)', async () => {
    const old = deadInstanceLedger();
    // As a worker of a killed server: the leader of its own session and group (setsid, by the
    // detached spawn), with a `sleep` in its group; it exits (as `sh` does of SIGPIPE) and its
    // parent reaps it, as a reaping init or a subreaper would.
    const leader = spawn('/bin/sh', ['-c', 'sleep 1000 & echo $!; read line'], {
      detached: true,
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    children.push(leader);
    const member = Number(await lineReader(leader)());
    stray.push(member);
    old.record('overseer', 'leader-died-first', leader.pid ?? 0);
    const memberStart = processStartTime(member);
    await endAndReap(leader);
    expect(readProcessStat(member)).toMatchObject({ pgrp: leader.pid, session: leader.pid });

    const report = await reapOrphans(LiveProcessLedger.open(db, 'new-instance'), { graceMs: 2_000, log });
    expect(report.outcomes).toEqual([
      { entry: expect.objectContaining({ ownerId: 'leader-died-first' }), outcome: 'ended', members: 1 },
    ]);
    // Gone, or a zombie (this container's init does not reap): not that running process any more.
    expect(memberStart).not.toBeNull();
    expect(isSameProcess(member, memberStart ?? '')).toBe(false);
    expect(logged).toContainEqual(
      expect.objectContaining({
        message: 'orphaned process group ended',
        detail: expect.objectContaining({ pid: leader.pid, members: 1 }),
      }),
    );
    expect(db.prepare('SELECT count(*) AS n FROM process_ledger').get()).toEqual({ n: 0 });
  });

  it('kills what is left of a leaderless group when it ignores SIGTERM', async () => {
    const old = deadInstanceLedger();
    const leader = spawn('/bin/sh', ['-c', `"$0" & read line`, fixture('ignores-sigterm.sh')], {
      detached: true,
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    children.push(leader);
    const member = Number((await lineReader(leader)()).replace('ignoring SIGTERM ', ''));
    stray.push(member);
    old.record('overseer', 'stubborn-rest', leader.pid ?? 0);
    await endAndReap(leader);

    const report = await reapOrphans(LiveProcessLedger.open(db, 'new-instance'), { graceMs: 300, log });
    expect(report.outcomes.map((o) => o.outcome)).toEqual(['killed']);
    // The shell of the fixture and the `sleep 1` it runs at the time (possibly a later one too).
    expect(report.outcomes[0]?.members).toBeGreaterThanOrEqual(2);
    expect(processExists(member)).toBe(false);
  });

  it('leaves alone the processes of a group id whose members cannot be the recorded leader’s', async () => {
    const old = deadInstanceLedger();
    // `older` starts first; then `leader` makes itself a group (setpgid, in this test's session,
    // not a session of its own) with a `sleep` in it, and `older` joins that group. The leader
    // exits and is reaped. Of what now has the group id, `older` started before the recorded
    // leader, and nothing is in the leader's session: none can be a member of the recorded group.
    const older = spawn(
      'perl',
      [
        '-e',
        '$| = 1; print "ready\\n"; my $g = <STDIN>; setpgrp(0, $g) or die $!; print "in\\n"; sleep 1000',
      ],
      { stdio: ['pipe', 'pipe', 'ignore'] },
    );
    children.push(older);
    const olderLine = lineReader(older);
    expect(await olderLine()).toBe('ready');
    const olderStart = processStartTime(older.pid ?? 0) ?? '0';
    // Start times count clock ticks (10 ms): the leader must start in a later tick.
    const startedAfter = Date.now() + 30;
    await pollUntil(() => Date.now() > startedAfter, 'a later clock tick');
    const leader = spawn(
      'perl',
      [
        '-e',
        '$| = 1; setpgrp(0, 0) or die $!; my $c = fork(); exec("sleep", "1000") if $c == 0; print "$c\\n"; <STDIN>',
      ],
      { stdio: ['pipe', 'pipe', 'ignore'] },
    );
    children.push(leader);
    const younger = Number(await lineReader(leader)());
    stray.push(younger);
    const leaderPid = leader.pid ?? 0;
    old.record('overseer', 'older-in-group', leaderPid);
    older.stdin?.write(`${leaderPid}\n`);
    expect(await olderLine()).toBe('in');
    const recordedStart = String(
      (db.prepare('SELECT start_time FROM process_ledger').get() as { start_time: string }).start_time,
    );
    expect(BigInt(olderStart)).toBeLessThan(BigInt(recordedStart));
    await endAndReap(leader);
    expect(readProcessStat(older.pid ?? 0)?.pgrp).toBe(leaderPid);
    expect(readProcessStat(younger)?.pgrp).toBe(leaderPid);

    const report = await reapOrphans(LiveProcessLedger.open(db, 'new-instance'), { graceMs: 200, log });
    expect(report.outcomes).toEqual([
      { entry: expect.objectContaining({ ownerId: 'older-in-group' }), outcome: 'already-gone', members: 0 },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(processExists(older.pid ?? 0)).toBe(true);
    expect(processStartTime(older.pid ?? 0)).toBe(olderStart);
    expect(processExists(younger)).toBe(true);
  });

  it('takes as members only processes of the leader’s group and session that started no earlier than it', async () => {
    // Real /proc data: a detached shell (leader of its own session and group) and its `sleep`.
    const group = await startGroup(fixture('spawns-grandchild.sh'));
    const member = Number(group.line.replace('grandchild ', ''));
    const stat = readProcessStat(member);
    const leaderStart = processStartTime(group.pid);
    if (stat === null || leaderStart === null) throw new Error('no /proc data');
    const leader = { pid: group.pid, startTime: leaderStart };
    expect(isRecordedGroupMember(leader, member, stat)).toBe(true);
    // A leader recorded as having started a tick after the process: not its member.
    const later = { pid: group.pid, startTime: String(BigInt(stat.startTime) + 1n) };
    expect(isRecordedGroupMember(later, member, stat)).toBe(false);
    // Another group or session id, this process itself, and a zombie are never members.
    expect(isRecordedGroupMember({ pid: group.pid + 1, startTime: '0' }, member, stat)).toBe(false);
    expect(isRecordedGroupMember(leader, member, { ...stat, session: stat.session + 1 })).toBe(false);
    expect(isRecordedGroupMember(leader, member, { ...stat, state: 'Z' })).toBe(false);
    const self = readProcessStat(process.pid);
    if (self === null) throw new Error('no /proc data');
    expect(
      isRecordedGroupMember({ pid: self.pgrp, startTime: '0' }, process.pid, { ...self, session: self.pgrp }),
    ).toBe(false);
  });

  it('never signals this process or its group, and leaves a live instance’s processes alone', async () => {
    const old = deadInstanceLedger();
    old.record('overseer', 'myself', process.pid);
    const live = LiveProcessLedger.open(db, 'live-instance'); // this test process: still running
    const child = await startGroup(fixture('never-exits.sh'));
    live.record('overseer', 'live-child', child.pid);

    const current = LiveProcessLedger.open(db, 'new-instance');
    expect(current.fromOtherInstances().map((e) => e.ownerId)).toEqual(['myself']);
    const report = await reapOrphans(current, { graceMs: 200, log });
    expect(report.outcomes.map((o) => o.outcome)).toEqual(['spared']);
    expect(processExists(child.pid)).toBe(true);
    // The live instance's entry is still there, for it to release.
    expect(db.prepare('SELECT owner_id FROM process_ledger').all()).toEqual([{ owner_id: 'live-child' }]);
  });

  it('records nothing for a process that is already gone; release forgets only its own entries', async () => {
    const ledger = LiveProcessLedger.open(db, 'me');
    const done = spawn('true');
    await new Promise((resolve) => done.once('exit', resolve));
    ledger.record('overseer', 'gone', done.pid ?? 0);
    expect(db.prepare('SELECT count(*) AS n FROM process_ledger').get()).toEqual({ n: 0 });

    const group = await startGroup(fixture('never-exits.sh'));
    ledger.record('overseer', 't', group.pid);
    const row = db.prepare('SELECT * FROM process_ledger').get() as Record<string, unknown>;
    expect(row).toMatchObject({
      owner_kind: 'overseer',
      owner_id: 't',
      pid: group.pid,
      start_time: processStartTime(group.pid),
      instance_id: 'me',
    });
    LiveProcessLedger.open(db, 'other').release('overseer', 't', group.pid);
    expect(db.prepare('SELECT count(*) AS n FROM process_ledger').get()).toEqual({ n: 1 });
    ledger.release('overseer', 't', group.pid);
    expect(db.prepare('SELECT count(*) AS n FROM process_ledger').get()).toEqual({ n: 0 });
  });
});
