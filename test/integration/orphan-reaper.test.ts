import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../src/store/database.js';
import { type LedgerEntry, SqliteProcessLedger } from '../../src/store/process-ledger.js';
import { reapOrphans } from '../../src/supervisor/orphan-reaper.js';
import { currentBootId, processStartTime, readProcessStat } from '../../src/supervisor/process-identity.js';
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
  function deadInstanceLedger(instanceId = 'old-instance'): SqliteProcessLedger {
    const ledger = new SqliteProcessLedger(db, instanceId);
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

    const current = new SqliteProcessLedger(db, 'new-instance');
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
    const report = await reapOrphans(new SqliteProcessLedger(db, 'new-instance'), {
      graceMs: 300,
      log,
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(report.outcomes).toEqual([
      { entry: expect.objectContaining({ pid: stubborn.pid }), outcome: 'killed' },
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

    const report = await reapOrphans(new SqliteProcessLedger(db, 'new-instance'), { graceMs: 200, log });
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

    const report = await reapOrphans(new SqliteProcessLedger(db, 'new-instance'), { graceMs: 200, log });
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

    const report = await reapOrphans(new SqliteProcessLedger(db, 'new-instance'), { graceMs: 200, log });
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

    const report = await reapOrphans(new SqliteProcessLedger(db, 'new-instance'), { graceMs: 2_000, log });
    expect(report.outcomes.map((o) => o.outcome)).toEqual(['ended']);
    expect(processExists(member)).toBe(false);
  });

  it('never signals this process or its group, and leaves a live instance’s processes alone', async () => {
    const old = deadInstanceLedger();
    old.record('overseer', 'myself', process.pid);
    const live = new SqliteProcessLedger(db, 'live-instance'); // this test process: still running
    const child = await startGroup(fixture('never-exits.sh'));
    live.record('overseer', 'live-child', child.pid);

    const current = new SqliteProcessLedger(db, 'new-instance');
    expect(current.fromOtherInstances().map((e) => e.ownerId)).toEqual(['myself']);
    const report = await reapOrphans(current, { graceMs: 200, log });
    expect(report.outcomes.map((o) => o.outcome)).toEqual(['spared']);
    expect(processExists(child.pid)).toBe(true);
    // The live instance's entry is still there, for it to release.
    expect(db.prepare('SELECT owner_id FROM process_ledger').all()).toEqual([{ owner_id: 'live-child' }]);
  });

  it('records nothing for a process that is already gone; release forgets only its own entries', async () => {
    const ledger = new SqliteProcessLedger(db, 'me');
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
    new SqliteProcessLedger(db, 'other').release('overseer', 't', group.pid);
    expect(db.prepare('SELECT count(*) AS n FROM process_ledger').get()).toEqual({ n: 1 });
    ledger.release('overseer', 't', group.pid);
    expect(db.prepare('SELECT count(*) AS n FROM process_ledger').get()).toEqual({ n: 0 });
  });
});
