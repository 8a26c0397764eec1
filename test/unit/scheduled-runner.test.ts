// Scheduled runs with a fake clock and fake sessions: iterations until the end, the time left told to
// the agent, the cost budget, cancel, failure backoff, restart resume, bounded logs. Nothing sleeps.
import { realpathSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  IterationOutcome,
  IterationSession,
  IterationSessions,
} from '../../src/agent/scheduled/iteration-sessions.js';
import { ScheduledLimits, ScheduledTiming } from '../../src/agent/scheduled/limits.js';
import {
  CANCELLED_REASON,
  type CreateScheduledRunRequest,
  ENDED_WHILE_DOWN_REASON,
  ScheduledRunner,
} from '../../src/agent/scheduled/scheduled-runner.js';
import type { SessionErrorCode } from '../../src/agent/session/session-errors.js';
import type { ScheduledEvent } from '../../src/protocol/events.js';
import type { ScheduledRun } from '../../src/protocol/rest/scheduled.js';
import type { Result } from '../../src/protocol/result.js';
import { type Database, openDatabase } from '../../src/store/database.js';
import { SqliteScheduledRunRepository } from '../../src/store/scheduled-runs.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const MINUTE = 60_000;
const ITERATION_TIMEOUT_MS = 30 * MINUTE;

/** One headless run in a fake session: the test decides when and how it ends. */
class FakeRun {
  readonly done: Promise<IterationOutcome>;
  settled = false;
  private resolveDone: (outcome: IterationOutcome) => void = () => {};

  constructor(
    readonly sessionId: string,
    readonly prompt: string,
    readonly timeoutMs: number | undefined,
    readonly startedAt: number,
  ) {
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
  }

  finish(outcome: Partial<IterationOutcome> = {}): void {
    if (this.settled) return;
    this.settled = true;
    this.resolveDone({ result: 'done', cost: 0.01, error: null, ...outcome });
  }
}

/** Sessions as the SessionManager hands them out: delete() stops the run and waits for its end. */
class FakeSessions implements IterationSessions {
  readonly live = new Set<string>();
  readonly runs: FakeRun[] = [];
  readonly deleted: string[] = [];
  createFailure: { code: SessionErrorCode; message: string } | null = null;
  startFailure: string | null = null;
  private count = 0;

  constructor(private readonly clock: FakeClock) {}

  create(): Result<{ session: IterationSession }, SessionErrorCode> {
    if (this.createFailure !== null) return { ok: false, ...this.createFailure };
    const id = `session-${++this.count}`;
    this.live.add(id);
    const session: IterationSession = {
      id,
      runPrompt: (prompt, options) => {
        if (this.startFailure !== null) {
          return { ok: false, code: 'SPAWN_FAILED', message: this.startFailure };
        }
        const run = new FakeRun(id, prompt, options.timeoutMs, this.clock.now());
        this.runs.push(run);
        return { ok: true, done: run.done };
      },
    };
    return { ok: true, session };
  }

  async delete(id: string): Promise<Result<object, SessionErrorCode>> {
    if (!this.live.delete(id)) return { ok: false, code: 'SESSION_NOT_FOUND', message: `no session ${id}` };
    this.deleted.push(id);
    const run = this.runs.find((r) => r.sessionId === id);
    if (run !== undefined && !run.settled) {
      run.finish({ result: null, cost: 0, error: 'stopped by request' });
      await run.done;
    }
    return { ok: true };
  }

  get last(): FakeRun {
    const run = this.runs.at(-1);
    if (run === undefined) throw new Error('no run started');
    return run;
  }
}

/** Lets every pending promise continuation run (the loop awaits session deletions and outcomes). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

function remainingSecondsTold(prompt: string): number {
  const match = /^You have (.+?) left in this scheduled run\./.exec(prompt);
  if (match === null) throw new Error(`no time left in ${JSON.stringify(prompt.slice(0, 120))}`);
  let seconds = 0;
  for (const [, n, unit] of (match[1] ?? '').matchAll(/(\d+) (hour|minute|second)/g)) {
    seconds += Number(n) * (unit === 'hour' ? 3600 : unit === 'minute' ? 60 : 1);
  }
  return seconds;
}

describe('ScheduledRunner', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let dir: string;
  let db: Database;
  let clock: FakeClock;
  let sessions: FakeSessions;
  let events: ScheduledEvent[];
  let warnings: string[];

  const makeRunner = (): ScheduledRunner =>
    new ScheduledRunner({
      repository: new SqliteScheduledRunRepository(db),
      sessions,
      clock,
      publish: (event) => events.push(event),
      casesRoot: dir,
      iterationTimeoutMs: ITERATION_TIMEOUT_MS,
      warn: (message) => warnings.push(message),
    });

  const create = (
    runner: ScheduledRunner,
    request: Partial<CreateScheduledRunRequest> = {},
  ): ScheduledRun => {
    const created = runner.create({
      prompt: 'improve the code',
      workingDir: dir,
      durationMinutes: 1,
      ...request,
    });
    if (!created.ok) throw new Error(`create failed: ${created.code} ${created.message}`);
    return created.run;
  };

  const current = (runner: ScheduledRunner, id: string): ScheduledRun => {
    const run = runner.get(id);
    if (run === undefined) throw new Error(`no run ${id}`);
    return run;
  };

  const ofKind = <K extends ScheduledEvent['kind']>(kind: K) =>
    events.filter((event): event is Extract<ScheduledEvent, { kind: K }> => event.kind === kind);

  beforeEach(() => {
    temp = makeTempDir('claudeman-scheduled-');
    dir = realpathSync(temp.path);
    db = openDatabase(':memory:');
    clock = new FakeClock();
    sessions = new FakeSessions(clock);
    events = [];
    warnings = [];
  });
  afterEach(() => {
    db.close();
    temp.remove();
  });

  it('repeats the prompt in fresh sessions until the end, telling each the time left', async () => {
    const runner = makeRunner();
    const run = create(runner, { durationMinutes: 1 });
    expect(run).toMatchObject({
      status: 'running',
      workingDir: dir,
      durationMinutes: 1,
      startedAt: clock.now(),
      endAt: clock.now() + MINUTE,
      completedTasks: 0,
      totalCost: 0,
      maxCostUsd: null,
      stopReason: null,
    });
    expect(run.sessionId).toBe('session-1');
    expect(ofKind('scheduled:created')[0]?.data).toEqual({
      id: run.id,
      prompt: 'improve the code',
      duration: 1,
    });

    for (let i = 0; i < 3; i++) {
      clock.advance(20_000);
      sessions.last.finish({ cost: 0.01 });
      await settle();
    }

    const ended = current(runner, run.id);
    expect(sessions.runs).toHaveLength(3);
    expect(sessions.runs.map((r) => r.sessionId)).toEqual(['session-1', 'session-2', 'session-3']);
    expect(sessions.runs.map((r) => remainingSecondsTold(r.prompt))).toEqual([60, 40, 20]);
    expect(sessions.runs[1]?.prompt).toMatch(
      /^You have 40 seconds left in this scheduled run\. .*\n\nimprove the code$/s,
    );
    expect(sessions.live.size).toBe(0);
    expect(sessions.deleted).toEqual(['session-1', 'session-2', 'session-3']);
    expect(ended.status).toBe('completed');
    expect(ended.sessionId).toBeNull();
    expect(ended.completedTasks).toBe(3);
    expect(ended.totalCost).toBeCloseTo(0.03, 10);
    expect(ended.stopReason).toBe('the scheduled time is up');
    expect(ofKind('scheduled:completed').map((e) => e.data)).toEqual([{ id: run.id, success: true }]);
    // Nothing is left armed: no tick, no retry.
    expect(clock.pendingTimers).toBe(0);
    // It is stored as it ended.
    const stored = new SqliteScheduledRunRepository(db).loadAll();
    expect(stored).toEqual([ended]);
  });

  it('publishes scheduled:updated with the remaining ms at each iteration start and end and on a tick', async () => {
    const runner = makeRunner();
    const run = create(runner, { durationMinutes: 1 });
    const startUpdate = ofKind('scheduled:updated').at(-1);
    expect(startUpdate?.data).toMatchObject({ id: run.id, status: 'running', remaining: MINUTE });
    expect(startUpdate?.data.run.sessionId).toBe('session-1');

    clock.advance(ScheduledTiming.tickIntervalMs);
    const tick = ofKind('scheduled:updated').at(-1);
    expect(tick?.data.remaining).toBe(MINUTE - ScheduledTiming.tickIntervalMs);

    clock.advance(5_000);
    sessions.last.finish();
    await settle();
    const remaining = ofKind('scheduled:updated').map((e) => e.data.remaining);
    expect(remaining).toEqual([60_000, 50_000, 45_000, 45_000]);
    expect(ofKind('scheduled:updated').at(-2)?.data.run.sessionId).toBeNull();
    expect(ofKind('scheduled:updated').at(-1)?.data.run.sessionId).toBe('session-2');
    await runner.cancel(run.id);
  });

  it('gives an iteration the time left plus the overrun grace, never more than the one-shot timeout', () => {
    const runner = makeRunner();
    create(runner, { durationMinutes: 2 });
    expect(sessions.last.timeoutMs).toBe(2 * MINUTE + ScheduledTiming.overrunGraceMs);
    create(runner, { durationMinutes: 600 });
    expect(sessions.last.timeoutMs).toBe(ITERATION_TIMEOUT_MS);
  });

  it('lets an iteration running at the end finish, counts it, and starts no other', async () => {
    const runner = makeRunner();
    const run = create(runner, { durationMinutes: 1 });
    clock.advance(MINUTE + 30_000);
    expect(current(runner, run.id).status).toBe('running');
    sessions.last.finish({ cost: 0.2 });
    await settle();
    const ended = current(runner, run.id);
    expect(ended).toMatchObject({ status: 'completed', completedTasks: 1, totalCost: 0.2 });
    expect(sessions.runs).toHaveLength(1);
    expect(sessions.live.size).toBe(0);
  });

  it('stops cleanly once the cost budget is reached, saying why', async () => {
    const runner = makeRunner();
    const run = create(runner, { durationMinutes: 10, maxCostUsd: 0.05 });
    sessions.last.finish({ cost: 0.03 });
    await settle();
    expect(current(runner, run.id).status).toBe('running');
    sessions.last.finish({ cost: 0.03 });
    await settle();
    const ended = current(runner, run.id);
    expect(sessions.runs).toHaveLength(2);
    expect(ended.status).toBe('completed');
    expect(ended.stopReason).toBe('cost budget reached: $0.06 spent of $0.05');
    expect(ended.logs.at(-1)?.message).toContain('cost budget reached');
    expect(ended.completedTasks).toBe(2);
    expect(sessions.live.size).toBe(0);
    expect(ofKind('scheduled:completed').map((e) => e.data.success)).toEqual([true]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('counts the cost of failed iterations toward the budget', async () => {
    const runner = makeRunner();
    const run = create(runner, { durationMinutes: 10, maxCostUsd: 0.1 });
    sessions.last.finish({ cost: 0.15, error: 'claude reported an error: API Error' });
    await settle();
    expect(current(runner, run.id)).toMatchObject({
      status: 'completed',
      completedTasks: 0,
      totalCost: 0.15,
    });
    // No iteration succeeded: the run ended, but not successfully.
    expect(ofKind('scheduled:completed').map((e) => e.data.success)).toEqual([false]);
  });

  it('cancel stops the running iteration, removes its session and ends as stopped', async () => {
    const runner = makeRunner();
    const run = create(runner, { durationMinutes: 5 });
    clock.advance(1_000);
    sessions.last.finish();
    await settle();
    expect(sessions.live.has('session-2')).toBe(true);

    expect(await runner.cancel(run.id)).toEqual({ ok: true });
    const stopped = current(runner, run.id);
    expect(stopped).toMatchObject({ status: 'stopped', stopReason: CANCELLED_REASON, sessionId: null });
    expect(stopped.completedTasks).toBe(1);
    expect(sessions.live.size).toBe(0);
    expect(sessions.runs[1]?.settled).toBe(true);
    expect(ofKind('scheduled:stopped').map((e) => e.data)).toEqual([
      { id: run.id, reason: CANCELLED_REASON },
    ]);
    expect(ofKind('scheduled:completed')).toEqual([]);
    expect(clock.pendingTimers).toBe(0);

    clock.advance(10 * MINUTE);
    await settle();
    expect(sessions.runs).toHaveLength(2);
    // Cancelling again changes nothing; an unknown id is reported.
    expect(await runner.cancel(run.id)).toEqual({ ok: true });
    expect(ofKind('scheduled:stopped')).toHaveLength(1);
    expect(await runner.cancel('nope')).toMatchObject({ ok: false, code: 'SCHEDULED_RUN_NOT_FOUND' });
  });

  it('cancel during the backoff after a failure stops at once', async () => {
    const runner = makeRunner();
    const run = create(runner, { durationMinutes: 5 });
    sessions.last.finish({ error: 'boom' });
    await settle();
    await runner.cancel(run.id);
    expect(current(runner, run.id).status).toBe('stopped');
    expect(clock.pendingTimers).toBe(0);
    clock.advance(MINUTE);
    expect(sessions.runs).toHaveLength(1);
  });

  it('logs a failed iteration and retries after a growing backoff that a success resets', async () => {
    const runner = makeRunner();
    const run = create(runner, { durationMinutes: 30 });
    const failNow = async () => {
      sessions.last.finish({ cost: 0, error: 'claude exited with code 1 before a result' });
      await settle();
    };
    await failNow();
    expect(sessions.runs).toHaveLength(1);
    clock.advance(999);
    expect(sessions.runs).toHaveLength(1);
    clock.advance(1);
    expect(sessions.runs).toHaveLength(2);
    await failNow();
    clock.advance(1_999);
    expect(sessions.runs).toHaveLength(2);
    clock.advance(1);
    expect(sessions.runs).toHaveLength(3);
    await failNow();
    clock.advance(4_000);
    expect(sessions.runs).toHaveLength(4);
    sessions.last.finish();
    await settle();
    // After a success the next iteration starts at once, and the next failure waits 1 s again.
    expect(sessions.runs).toHaveLength(5);
    await failNow();
    clock.advance(1_000);
    expect(sessions.runs).toHaveLength(6);

    const logged = current(runner, run.id).logs.map((line) => line.message);
    expect(logged.filter((m) => m.startsWith('iteration failed'))).toHaveLength(4);
    expect(logged).toContain('next iteration in 4 seconds (after a failure)');
    expect(current(runner, run.id)).toMatchObject({ status: 'running', completedTasks: 1 });
    expect(sessions.live.size).toBe(1);
    await runner.cancel(run.id);
  });

  it('caps the backoff at a minute and never waits past the end', async () => {
    const runner = makeRunner();
    sessions.startFailure = 'spawn claude ENOENT';
    const run = create(runner, { durationMinutes: 3 });
    await settle();
    const startsBefore = (): number =>
      current(runner, run.id).logs.filter((l) => l.message.startsWith('the iteration did not start')).length;
    // 1 + 2 + 4 + 8 + 16 + 32 = 63 s, then 60 s pauses: attempts at 0, 1, 3, 7, 15, 31, 63, 123, 180 (the end).
    clock.advance(2 * MINUTE + 59_000);
    await settle();
    expect(startsBefore()).toBe(8);
    clock.advance(1_000);
    await settle();
    expect(current(runner, run.id)).toMatchObject({ status: 'completed', completedTasks: 0 });
    expect(ofKind('scheduled:completed').map((e) => e.data.success)).toEqual([false]);
    // Sessions of iterations that did not start are removed too.
    expect(sessions.live.size).toBe(0);
  });

  it('retries when no session can be made, and ends with an error when the directory is gone', async () => {
    const runner = makeRunner();
    sessions.createFailure = { code: 'SESSION_LIMIT', message: 'at most 200 sessions' };
    const run = create(runner, { durationMinutes: 5 });
    expect(run.status).toBe('running');
    expect(run.logs.at(-2)?.message).toBe('no session for the next iteration: at most 200 sessions');
    sessions.createFailure = null;
    clock.advance(1_000);
    expect(sessions.runs).toHaveLength(1);
    sessions.createFailure = { code: 'INVALID_PATH', message: `no such directory: ${dir}` };
    sessions.last.finish();
    await settle();
    const ended = current(runner, run.id);
    expect(ended.status).toBe('error');
    expect(ended.stopReason).toMatch(/^the working directory cannot be used: no such directory/);
    expect(ofKind('scheduled:completed').map((e) => e.data.success)).toEqual([false]);
  });

  it('refuses invalid requests', () => {
    const runner = makeRunner();
    const refused = (request: Partial<CreateScheduledRunRequest>) => {
      const created = runner.create({ prompt: 'x', workingDir: dir, durationMinutes: 1, ...request });
      return created.ok ? 'ok' : created.code;
    };
    expect(refused({ durationMinutes: 0 })).toBe('BAD_REQUEST');
    expect(refused({ durationMinutes: -1 })).toBe('BAD_REQUEST');
    expect(refused({ durationMinutes: Number.NaN })).toBe('BAD_REQUEST');
    expect(refused({ durationMinutes: ScheduledLimits.durationMinutes + 1 })).toBe('BAD_REQUEST');
    expect(refused({ maxCostUsd: 0 })).toBe('BAD_REQUEST');
    expect(refused({ prompt: '  ' })).toBe('BAD_REQUEST');
    expect(refused({ workingDir: `${dir}/missing` })).toBe('INVALID_PATH');
    expect(refused({ workingDir: '../..' })).toBe('INVALID_PATH');
    expect(runner.list()).toEqual([]);
    expect(sessions.runs).toEqual([]);
    // Fractions of a minute are fine.
    expect(refused({ durationMinutes: 0.1 })).toBe('ok');
  });

  it('limits the runs running at once', async () => {
    const runner = makeRunner();
    const runs = Array.from({ length: ScheduledLimits.activeRuns }, () => create(runner));
    const refused = runner.create({ prompt: 'x', workingDir: dir, durationMinutes: 1 });
    expect(refused.ok ? 'ok' : refused.code).toBe('SCHEDULED_RUN_LIMIT');
    await runner.cancel(runs[0]?.id ?? '');
    expect(runner.create({ prompt: 'x', workingDir: dir, durationMinutes: 1 }).ok).toBe(true);
  });

  it('keeps only the most recent finished runs', async () => {
    const runner = makeRunner();
    const ids: string[] = [];
    for (let i = 0; i < ScheduledLimits.finishedRuns + 2; i++) {
      const run = create(runner);
      ids.push(run.id);
      await runner.cancel(run.id);
    }
    expect(runner.list().map((run) => run.id)).toEqual(ids.slice(2));
    expect(new SqliteScheduledRunRepository(db).loadAll().map((run) => run.id)).toEqual(ids.slice(2));
  });

  it('keeps the log bounded to the most recent lines', async () => {
    const runner = makeRunner();
    const run = create(runner, { durationMinutes: 60 });
    for (let i = 0; i < ScheduledLimits.logLines; i++) {
      sessions.last.finish();
      await settle();
    }
    const { logs } = current(runner, run.id);
    expect(logs).toHaveLength(ScheduledLimits.logLines);
    expect(logs.at(-1)?.message).toMatch(/^iteration started in session session-101 /);
    expect(logs[0]?.message).not.toMatch(/^started:/);
    expect(logs.every((line) => line.ts === clock.now())).toBe(true);
    await runner.cancel(run.id);
  });

  describe('at a usage limit', () => {
    const MARGIN = 60_000;
    it('waits for the reset and a margin, without a backoff, then goes on; the pause is stored and kept over a restart', async () => {
      const first = makeRunner();
      const run = create(first, { durationMinutes: 120 });
      const until = clock.now() + 20 * MINUTE;
      sessions.last.finish({ cost: 0, error: 'API Error: 429 rate limited', limitedUntil: until });
      await settle();
      expect(current(first, run.id).pausedUntil).toBe(until + MARGIN);
      expect(current(first, run.id).logs.at(-1)?.message).toContain('usage limit until');
      expect(new SqliteScheduledRunRepository(db).loadAll()[0]?.pausedUntil).toBe(until + MARGIN);
      clock.advance(10 * MINUTE);
      expect(sessions.runs).toHaveLength(1);
      await first.shutdown();

      const second = makeRunner();
      expect(second.restore()).toBe(1);
      await settle();
      expect(sessions.runs).toHaveLength(1);
      expect(current(second, run.id).logs.at(-1)?.message).toContain('still paused for a usage limit');
      clock.advance(10 * MINUTE + MARGIN);
      await settle();
      expect(sessions.runs).toHaveLength(2);
      expect(current(second, run.id)).toMatchObject({ status: 'running', pausedUntil: null });
      await second.cancel(run.id);
    });

    it('ends the run when it may not wait (autoResume off, longer than maxWaitMinutes) or the reset is past its end', async () => {
      const cases: [Partial<CreateScheduledRunRequest>, string, RegExp][] = [
        [{ autoResume: false, durationMinutes: 120 }, 'error', /autoResume is off/],
        [{ maxWaitMinutes: 5, durationMinutes: 120 }, 'error', /later than maxWaitMinutes \(5\)/],
        [{ durationMinutes: 10 }, 'completed', /past the run's end/],
      ];
      for (const [request, status, reason] of cases) {
        const runner = makeRunner();
        const run = create(runner, request);
        sessions.last.finish({ error: 'limit', limitedUntil: clock.now() + 20 * MINUTE });
        await settle();
        expect(current(runner, run.id)).toMatchObject({ status, pausedUntil: null });
        expect(current(runner, run.id).stopReason).toMatch(reason);
      }
      expect(clock.pendingTimers).toBe(0);
    });
  });

  describe('after a restart', () => {
    it('resumes a run whose end is ahead with a new iteration, told the time left then', async () => {
      const first = makeRunner();
      const run = create(first, { durationMinutes: 10 });
      clock.advance(MINUTE);
      sessions.last.finish({ cost: 0.5 });
      await settle();
      await first.shutdown();
      // Shut down mid-iteration: the session is gone, the run is still running in the store.
      expect(sessions.live.size).toBe(0);
      const stored = new SqliteScheduledRunRepository(db).loadAll()[0];
      expect(stored).toMatchObject({ status: 'running', sessionId: null, completedTasks: 1, totalCost: 0.5 });
      expect(clock.pendingTimers).toBe(0);

      clock.advance(2 * MINUTE);
      const second = makeRunner();
      expect(second.restore()).toBe(1);
      const resumed = current(second, run.id);
      expect(resumed.status).toBe('running');
      expect(resumed.sessionId).toBe('session-3');
      expect(remainingSecondsTold(sessions.last.prompt)).toBe(7 * 60);
      expect(resumed.logs.map((l) => l.message)).toContain(
        'resumed after a server restart with 7 minutes left',
      );
      expect(resumed).toMatchObject({ completedTasks: 1, totalCost: 0.5 });
      await second.cancel(run.id);
    });

    it('removes the session of an iteration that the previous server died in (kill -9)', async () => {
      // What a killed server leaves: the run still names its iteration's session, which was restored
      // (stopped) by the session manager.
      const run: ScheduledRun = {
        id: 'killed',
        prompt: 'go on',
        workingDir: dir,
        durationMinutes: 10,
        startedAt: clock.now() - MINUTE,
        endAt: clock.now() + 9 * MINUTE,
        status: 'running',
        sessionId: 'stale-session',
        completedTasks: 2,
        totalCost: 0.25,
        maxCostUsd: null,
        logs: [],
        stopReason: null,
        autoResume: true,
        maxWaitMinutes: 360,
        pausedUntil: null,
      };
      new SqliteScheduledRunRepository(db).save(run);
      sessions.live.add('stale-session');
      const runner = makeRunner();
      runner.restore();
      await settle();
      expect(sessions.deleted).toEqual(['stale-session']);
      const resumed = current(runner, run.id);
      expect(resumed.sessionId).toBe('session-1');
      expect(remainingSecondsTold(sessions.last.prompt)).toBe(9 * 60);
      expect(resumed.logs.map((l) => l.message)).toContain(
        'the iteration in session stale-session was interrupted by the restart',
      );
      expect(resumed).toMatchObject({ completedTasks: 2, totalCost: 0.25 });
      await runner.cancel(run.id);
    });

    it('completes a run whose end passed while no server ran, and leaves finished runs alone', async () => {
      const first = makeRunner();
      const running = create(first, { durationMinutes: 1 });
      const cancelled = create(first, { durationMinutes: 1 });
      await first.cancel(cancelled.id);
      await first.shutdown();
      clock.advance(5 * MINUTE);
      const before = sessions.runs.length;

      const second = makeRunner();
      expect(second.restore()).toBe(2);
      expect(current(second, running.id)).toMatchObject({
        status: 'completed',
        stopReason: ENDED_WHILE_DOWN_REASON,
        sessionId: null,
      });
      expect(current(second, cancelled.id)).toMatchObject({
        status: 'stopped',
        stopReason: CANCELLED_REASON,
      });
      expect(sessions.runs).toHaveLength(before);
      expect(clock.pendingTimers).toBe(0);
      expect(new SqliteScheduledRunRepository(db).loadAll()[0]?.status).toBe('completed');
    });
  });
});
