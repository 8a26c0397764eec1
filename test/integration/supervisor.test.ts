import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../src/store/database.js';
import { SqliteTaskRepository } from '../../src/store/overseer-tasks.js';
import type { SupervisedTaskEvent, SupervisedTaskExitedEvent } from '../../src/supervisor/events.js';
import { Supervisor } from '../../src/supervisor/supervisor.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { pollUntil, processExists } from '../helpers/poll.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

/** The engine alone, with real processes and a real SQLite file, and a fake clock for its timers. */
describe('Supervisor with real processes', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let db: Database;
  let clock: FakeClock;
  let events: SupervisedTaskEvent[];
  let supervisor: Supervisor;

  const build = (): Supervisor =>
    new Supervisor({
      repository: new SqliteTaskRepository(db),
      publish: (event) => events.push(event),
      clock,
    });

  const exitsOf = (taskId: string): SupervisedTaskExitedEvent[] =>
    events.filter((e): e is SupervisedTaskExitedEvent => e.kind === 'process:exited' && e.taskId === taskId);

  beforeEach(() => {
    temp = makeTempDir();
    db = openDatabase(`${temp.path}/engine.db`);
    clock = new FakeClock(Date.now());
    events = [];
    supervisor = build();
  });

  afterEach(async () => {
    const shutdown = supervisor.shutdown(1_000);
    clock.advance(5_000);
    await shutdown;
    db.close();
    temp.remove();
  });

  it('reports exit only after the last line of output', async () => {
    const started = supervisor.start({ command: fixture('flood.sh'), args: ['5000'] });
    expect(started.ok).toBe(true);
    if (!started.ok) return;
    await pollUntil(() => exitsOf(started.taskId).length === 1, 'exit');
    const kinds = events.filter((e) => e.kind !== 'process:started').map((e) => e.kind);
    expect(kinds.length).toBe(5001);
    expect(kinds.lastIndexOf('process:output')).toBe(4999);
    expect(kinds[5000]).toBe('process:exited');
    const seqs = events.flatMap((e) => (e.kind === 'process:output' ? [e.seq] : []));
    expect(seqs[0]).toBe(1);
    expect(seqs.at(-1)).toBe(5000);
  });

  it('reads each pipe to its end before reporting the exit, even when one pipe ends early', async () => {
    // A background job keeps both pipes after the shell exits, closes stdout, then writes to stderr.
    const started = supervisor.start({
      command: '/bin/sh',
      args: ['-c', '(sleep 0.05; exec 1>&-; sleep 0.1; echo late >&2) & exit 0'],
    });
    if (!started.ok) throw new Error(started.message);
    await pollUntil(() => exitsOf(started.taskId).length === 1, 'exit');
    const kinds = events.filter((e) => e.kind !== 'process:started').map((e) => e.kind);
    expect(kinds).toEqual(['process:output', 'process:exited']);
    const line = events.find((e) => e.kind === 'process:output');
    expect(line?.kind === 'process:output' && [line.stream, line.data]).toEqual(['stderr', 'late']);
  });

  it('escalates to SIGKILL after the grace period when SIGTERM is ignored', async () => {
    const started = supervisor.start({ command: fixture('ignores-sigterm.sh') });
    if (!started.ok) throw new Error(started.message);
    await pollUntil(() => events.some((e) => e.kind === 'process:output'), 'the trap to be installed');
    supervisor.stop(started.taskId);
    // Without the clock moving, the SIGKILL timer has not fired: the process must still be alive.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(processExists(started.pid)).toBe(true);
    expect(clock.pendingTimers).toBe(1);
    clock.advance(5_000);
    await pollUntil(() => exitsOf(started.taskId).length === 1, 'exit after SIGKILL');
    const exit = exitsOf(started.taskId)[0];
    expect(exit?.exitCode).toBe(-1);
    expect(exit?.signal).toBe('SIGKILL');
    expect(exit?.intentional).toBe(true);
    expect(supervisor.get(started.taskId)?.state).toBe('stopped');
  });

  it('stops the whole process group, grandchildren included', async () => {
    const started = supervisor.start({ command: fixture('spawns-grandchild.sh') });
    if (!started.ok) throw new Error(started.message);
    await pollUntil(() => events.some((e) => e.kind === 'process:output'), 'the grandchild pid');
    const line = events.find((e) => e.kind === 'process:output');
    const grandchild = Number(line?.kind === 'process:output' ? line.data.split(' ')[1] : Number.NaN);
    expect(processExists(grandchild)).toBe(true);
    supervisor.stop(started.taskId);
    await pollUntil(() => exitsOf(started.taskId).length === 1, 'exit');
    await pollUntil(() => !processExists(grandchild), 'the grandchild to die');
    // The SIGKILL timer is cancelled once the group is gone (checked every 20 ms of clock time),
    // long before its 5 s deadline.
    await pollUntil(
      () => {
        clock.advance(20);
        return clock.pendingTimers === 0;
      },
      'the escalation timers to be disposed',
      1_000,
    );
  });

  it('waits for the restart delay on the clock, and a stop during it cancels the restart', async () => {
    const started = supervisor.start({
      command: '/bin/false',
      retryPolicy: { restartDelayNs: 60_000_000_000n, errorWindowNs: 0n, errorThreshold: 0 },
    });
    if (!started.ok) throw new Error(started.message);
    await pollUntil(() => events.some((e) => e.kind === 'process:restarting'), 'restarting');
    expect(clock.pendingTimers).toBe(1);
    clock.advance(59_000);
    expect(events.filter((e) => e.kind === 'process:started')).toHaveLength(1);
    supervisor.stop(started.taskId);
    expect(clock.pendingTimers).toBe(0);
    clock.advance(10_000);
    expect(events.filter((e) => e.kind === 'process:started')).toHaveLength(1);
    expect(supervisor.get(started.taskId)?.state).toBe('stopped');
  });

  it('restarts after the delay and errors when the window holds threshold exits', async () => {
    const started = supervisor.start({
      command: '/bin/false',
      retryPolicy: { restartDelayNs: 1_000_000_000n, errorWindowNs: 10_000_000_000n, errorThreshold: 3 },
    });
    if (!started.ok) throw new Error(started.message);
    for (let attempt = 1; attempt <= 2; attempt++) {
      await pollUntil(
        () => events.filter((e) => e.kind === 'process:restarting').length === attempt,
        'restarting',
      );
      clock.advance(1_000);
    }
    await pollUntil(() => events.some((e) => e.kind === 'process:errored'), 'errored');
    const kinds = events.map((e) => e.kind);
    expect(kinds).toEqual([
      'process:started',
      'process:exited',
      'process:restarting',
      'process:started',
      'process:exited',
      'process:restarting',
      'process:started',
      'process:exited',
      'process:errored',
    ]);
    const task = supervisor.get(started.taskId);
    expect(task?.state).toBe('errored');
    expect(task?.restartCount).toBe(2);
    expect(task?.exitCount).toBe(3);
    expect(task?.errorMessage).toBe('exit threshold reached');
    expect(clock.pendingTimers).toBe(0);
  });

  it('forgets exits that fall out of the error window', async () => {
    const started = supervisor.start({
      command: '/bin/false',
      retryPolicy: { restartDelayNs: 20_000_000_000n, errorWindowNs: 10_000_000_000n, errorThreshold: 2 },
    });
    if (!started.ok) throw new Error(started.message);
    for (let attempt = 1; attempt <= 3; attempt++) {
      await pollUntil(
        () => events.filter((e) => e.kind === 'process:restarting').length === attempt,
        'restarting',
      );
      clock.advance(20_000);
    }
    // Each exit is 20 s after the previous one, outside the 10 s window: never two at once.
    expect(events.some((e) => e.kind === 'process:errored')).toBe(false);
    expect(supervisor.get(started.taskId)?.exitCount).toBe(1);
  });

  it('keeps no exit history for a task that restarts forever without a threshold', async () => {
    const started = supervisor.start({
      command: '/bin/false',
      retryPolicy: { restartDelayNs: 0n, errorWindowNs: 0n, errorThreshold: 0 },
    });
    if (!started.ok) throw new Error(started.message);
    for (let attempt = 1; attempt <= 5; attempt++) {
      await pollUntil(
        () => events.filter((e) => e.kind === 'process:restarting').length === attempt,
        'restarting',
      );
      clock.advance(0);
    }
    const task = supervisor.get(started.taskId);
    expect(task?.restartCount).toBe(5);
    expect(task?.exitCount).toBe(0);
    const row = db
      .prepare('SELECT exit_timestamps FROM overseer_tasks WHERE task_id = ?')
      .get(started.taskId);
    expect(row).toEqual({ exit_timestamps: '[]' });
  });

  it('persists state: after a restart of the engine active is stopped, errored stays, windows restored', async () => {
    const running = supervisor.start({ taskId: 'runner', command: fixture('never-exits.sh') });
    const failing = supervisor.start({
      taskId: 'failer',
      command: '/bin/false',
      retryPolicy: { restartDelayNs: 0n, errorWindowNs: 0n, errorThreshold: 1 },
    });
    expect(running.ok && failing.ok).toBe(true);
    await pollUntil(() => events.some((e) => e.kind === 'process:errored'), 'errored');
    const shutdown = supervisor.shutdown(1_000);
    clock.advance(5_000);
    await shutdown;

    events = [];
    supervisor = build();
    expect(supervisor.restore()).toBe(2);
    const [runner, failer] = supervisor.list();
    expect(runner?.taskId).toBe('runner');
    expect(runner?.state).toBe('stopped');
    expect(runner?.workerState).toBeNull();
    expect(failer?.state).toBe('errored');
    expect(failer?.exitCount).toBe(1);
    expect(failer?.errorMessage).toBe('exit threshold reached');
    const replay = supervisor.replayFor('runner');
    expect(replay.ok ? 'worker' : replay.code).toBe('NO_WORKER');
    const again = supervisor.start({ taskId: 'runner', command: fixture('never-exits.sh') });
    expect(again.ok).toBe(true);
    expect(supervisor.get('runner')?.state).toBe('active');
  });

  it('reports a missing executable as a value and keeps working', () => {
    const missing = supervisor.start({ command: 'no-such-command-xyz' });
    expect(missing).toEqual({
      ok: false,
      code: 'SPAWN_FAILED',
      message: 'exec: "no-such-command-xyz": executable file not found in $PATH',
    });
    const bad = supervisor.start({ command: '/no/such/file' });
    expect(bad.ok ? '' : bad.message).toBe('fork/exec /no/such/file: no such file or directory');
    expect(supervisor.start({ command: '/bin/true' }).ok).toBe(true);
  });

  it('shutdown cancels pending restarts and stops every worker', async () => {
    supervisor.start({ command: fixture('never-exits.sh') });
    supervisor.start({
      command: '/bin/false',
      retryPolicy: { restartDelayNs: 60_000_000_000n, errorWindowNs: 0n, errorThreshold: 0 },
    });
    await pollUntil(() => events.some((e) => e.kind === 'process:restarting'), 'restarting');
    await supervisor.shutdown(1_000);
    expect(supervisor.runningCount).toBe(0);
    await pollUntil(
      () => {
        clock.advance(20);
        return clock.pendingTimers === 0;
      },
      'every timer to be disposed',
      1_000,
    );
    expect(supervisor.start({ command: '/bin/true' })).toMatchObject({ ok: false, code: 'SHUTTING_DOWN' });
  });
});
