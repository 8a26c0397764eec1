import { afterEach, describe, expect, it } from 'vitest';
import { CLEAR_COMMAND } from '../../src/agent/ralph/assignment.js';
import { FOLLOW_UP_PRIORITY, FOLLOW_UP_PROMPTS } from '../../src/agent/ralph/follow-up.js';
import { RalphLoop } from '../../src/agent/ralph/ralph-loop.js';
import {
  INTERRUPT_KEY,
  MAX_TASK_ATTEMPTS,
  RalphStopReason,
  type RalphTiming,
} from '../../src/agent/ralph/ralph-settings.js';
import { buildTaskPrompt } from '../../src/agent/ralph/task-prompt.js';
import { LIMIT_RESUME_MARGIN_MS } from '../../src/agent/session/limit-pause.js';
import { TaskQueue } from '../../src/agent/tasks/task-queue.js';
import type { NewTask } from '../../src/agent/tasks/task-validation.js';
import type { QueueTaskEvent, RalphEvent } from '../../src/protocol/events.js';
import { DEFAULT_COMPLETION_PHRASE, type QueueTask } from '../../src/protocol/rest/tasks.js';
import { type Database, openDatabase } from '../../src/store/database.js';
import { SqliteQueueTaskRepository } from '../../src/store/queue-tasks.js';
import { SqliteRalphStateRepository } from '../../src/store/ralph-state.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeWorkerSession, FakeWorkerSessions } from '../helpers/fake-worker-sessions.js';

const TIMING: RalphTiming = {
  taskTimeoutMs: 60_000,
  workerStartTimeoutMs: 10_000,
  tickMs: 1_000,
  limitResumeMarginMs: LIMIT_RESUME_MARGIN_MS,
};
const DONE = DEFAULT_COMPLETION_PHRASE;
const MARKER = `<promise>${DONE}</promise>`;

type Event = QueueTaskEvent | RalphEvent;

const databases: Database[] = [];
afterEach(() => {
  for (const db of databases.splice(0)) db.close();
});

class Harness {
  readonly events: Event[] = [];
  readonly warnings: string[] = [];
  readonly queue: TaskQueue;
  readonly loop: RalphLoop;

  constructor(
    readonly sessions = new FakeWorkerSessions(),
    readonly clock = new FakeClock(),
    readonly db = Harness.database(),
  ) {
    this.queue = new TaskQueue({
      repository: new SqliteQueueTaskRepository(db),
      clock,
      publish: (event) => this.events.push(event),
      resolveWorkingDir: (dir) => ({ ok: true, path: dir }),
    });
    this.loop = new RalphLoop({
      queue: this.queue,
      sessions,
      repository: new SqliteRalphStateRepository(db),
      clock,
      publish: (event) => this.events.push(event),
      warn: (message) => this.warnings.push(message),
      timing: TIMING,
    });
  }

  static database(): Database {
    const db = openDatabase(':memory:');
    databases.push(db);
    return db;
  }

  add(spec: NewTask): QueueTask {
    const added = this.queue.add(spec);
    if (!added.ok) throw new Error(added.message);
    return added.task;
  }

  start(options: Parameters<RalphLoop['start']>[0] = {}): void {
    const started = this.loop.start(options);
    if (!started.ok) throw new Error(started.message);
    this.clock.advance(0);
  }

  task(id: string): QueueTask {
    const task = this.queue.get(id);
    if (task === undefined) throw new Error(`no task ${id}`);
    return task;
  }

  /** The ralph:* events and task status changes, compactly. */
  log(): string[] {
    return this.events.flatMap((event) => {
      switch (event.kind) {
        case 'ralph:assigned':
          return [`assigned ${event.data.taskId}→${event.data.sessionId}`];
        case 'ralph:completed':
          return [`ralph-completed ${event.data.taskId} ${event.data.success}`];
        case 'ralph:started':
          return ['started'];
        case 'ralph:stopped':
          return [`stopped: ${event.data.reason}`];
        case 'ralph:paused':
          return [`paused until ${event.data.until}`];
        case 'ralph:resumed':
          return ['resumed'];
        case 'task:completed':
        case 'task:failed':
          return [`${event.kind} ${event.data.task.id}`];
        default:
          return [];
      }
    });
  }
}

/** The worker clears, comes back to its prompt, and gets the task's prompt typed. */
/** A loop on the interactive session s1 (in /p) with `tasks`, one pass in: the first is handed out. */
function loopOnS1(...tasks: NewTask[]): { db: Database; clock: FakeClock; before: Harness } {
  const db = Harness.database();
  const clock = new FakeClock();
  const before = new Harness(
    new FakeWorkerSessions().add(FakeWorkerSession.interactive('s1', '/p')),
    clock,
    db,
  );
  for (const task of tasks) before.add(task);
  before.start({ sessionIds: ['s1'] });
  clock.advance(0);
  return { db, clock, before };
}

/** The next server on the same database, with `session` as what became of s1. */
function restartedWith(session: FakeWorkerSession, clock: FakeClock, db: Database): Harness {
  return new Harness(new FakeWorkerSessions().add(session), clock, db);
}

function clearAndPrompt(session: FakeWorkerSession): void {
  expect(session.lastLine).toBe(CLEAR_COMMAND);
  session.idle();
}

describe('RalphLoop: assignment', () => {
  it('hands ready tasks, highest priority first, to idle sessions in turn, clearing each first', () => {
    const s1 = FakeWorkerSession.interactive('s1');
    const s2 = FakeWorkerSession.interactive('s2');
    const h = new Harness(new FakeWorkerSessions().add(s1, s2));
    h.add({ id: 'low', prompt: 'low priority', priority: 1 });
    h.add({ id: 'high', prompt: 'high priority', priority: 5 });
    h.add({ id: 'later', prompt: 'waits', dependsOn: ['low'] });
    h.start({ sessionIds: ['s1', 's2'] });

    expect(h.log()).toEqual(['started', 'assigned high→s1', 'assigned low→s2']);
    expect(h.loop.status()).toMatchObject({
      running: true,
      maxWorkers: 2,
      sessionIds: ['s1', 's2'],
      assignments: [
        { sessionId: 's1', taskId: 'high', since: h.clock.now() },
        { sessionId: 's2', taskId: 'low', since: h.clock.now() },
      ],
    });
    expect(h.task('high')).toMatchObject({ status: 'running', assignedSessionId: 's1', attempts: 1 });
    expect(s1.currentTaskId).toBe('high');
    expect(s1.lines).toEqual([CLEAR_COMMAND]);
    clearAndPrompt(s1);
    expect(s1.lines).toEqual([CLEAR_COMMAND, buildTaskPrompt('high priority', DONE)]);
  });

  it('completes a task on the marker in the terminal, not on the echo of a prompt that contains it', () => {
    const s1 = FakeWorkerSession.interactive('s1');
    const h = new Harness(new FakeWorkerSessions().add(s1));
    h.add({ id: 't', prompt: `Refactor it. Print ${MARKER} at the very end.` });
    h.start({ sessionIds: ['s1'] });
    // An old marker repainted while the screen clears belongs to no task.
    s1.print(`old screen ${MARKER}\r\n`);
    clearAndPrompt(s1);
    s1.echoLastLine();
    s1.print('\x1b[2m✻ Thinking…\x1b[0m');
    expect(h.task('t').status).toBe('running');
    s1.print(`\r\n\x1b[37m●\x1b[39m Refactored.\r\n  <promise>${DONE.slice(0, 4)}`);
    s1.print(`${DONE.slice(4)}</promise>\r\n`);
    expect(h.task('t').status).toBe('completed');
    expect(s1.currentTaskId).toBeNull();
    expect(h.log()).toEqual([
      'started',
      'assigned t→s1',
      'task:completed t',
      'ralph-completed t true',
      `stopped: ${RalphStopReason.done}`,
    ]);
    expect(h.loop.status()).toMatchObject({
      running: false,
      completedCount: 1,
      stopReason: 'all tasks done',
    });
  });

  it('prefers structured output: an assistant message with the marker completes the task at idle', () => {
    const s1 = FakeWorkerSession.interactive('s1');
    s1.assistantSays(`from before: ${MARKER}`);
    const h = new Harness(new FakeWorkerSessions().add(s1));
    h.add({ id: 't', prompt: 'work', completionPhrase: 'ALL GOOD' });
    h.start({ sessionIds: ['s1'] });
    clearAndPrompt(s1);
    s1.idle();
    expect(h.task('t').status).toBe('running');
    s1.assistantSays('Finished.\n<promise>ALL GOOD</promise>');
    s1.idle();
    expect(h.task('t').status).toBe('completed');
  });

  it('fails a task at once when its turn ends in an API error, not after its timeout', () => {
    const s1 = FakeWorkerSession.interactive('s1');
    const h = new Harness(new FakeWorkerSessions().add(s1));
    h.add({ id: 't', prompt: 'do it' });
    h.start({ sessionIds: ['s1'] });
    clearAndPrompt(s1);
    s1.fails('API Error: 400 bad request');
    expect(h.task('t')).toMatchObject({
      status: 'failed',
      error: 'turn failed: API Error: 400 bad request',
    });
    expect(h.log()).toEqual([
      'started',
      'assigned t→s1',
      'task:failed t',
      'ralph-completed t false',
      `stopped: ${RalphStopReason.done}`,
    ]);
  });

  it('pauses at a usage limit, keeps the task, and resumes by itself after the reset and a margin', () => {
    const s1 = FakeWorkerSession.interactive('s1');
    const h = new Harness(new FakeWorkerSessions().add(s1));
    h.add({ id: 't', prompt: 'do it' });
    h.start({ sessionIds: ['s1'] });
    clearAndPrompt(s1);
    const until = h.clock.now() + 10 * 60_000;
    s1.fails('Claude usage limit reached', until);
    const resumeAt = until + LIMIT_RESUME_MARGIN_MS;
    expect(h.task('t').status).toBe('pending');
    expect(h.loop.status()).toMatchObject({ running: true, pausedUntil: resumeAt, assignments: [] });
    const lines = s1.lines.length;
    h.clock.advance(10 * 60_000);
    expect(s1.lines.length).toBe(lines); // still waiting: nothing typed
    h.clock.advance(LIMIT_RESUME_MARGIN_MS + TIMING.tickMs);
    expect(h.loop.status().pausedUntil).toBeNull();
    expect(h.task('t').status).toBe('running');
    expect(h.log()).toEqual([
      'started',
      'assigned t→s1',
      `paused until ${resumeAt}`,
      'resumed',
      'assigned t→s1',
    ]);
  });

  it('keeps its pause and its limit policy over a restart: the restored loop waits on, then resumes', () => {
    const clock = new FakeClock();
    const db = Harness.database();
    const before = new Harness(new FakeWorkerSessions().add(FakeWorkerSession.interactive('s1')), clock, db);
    before.add({ id: 't', prompt: 'do it' });
    before.start({ sessionIds: ['s1'], maxWaitMinutes: 90 });
    const s1 = before.sessions.at('s1');
    clearAndPrompt(s1);
    const until = clock.now() + 10 * 60_000;
    s1.fails('Claude usage limit reached', until);
    const resumeAt = until + LIMIT_RESUME_MARGIN_MS;
    before.loop.shutdown();

    const adopted = FakeWorkerSession.interactive('s1');
    const after = new Harness(new FakeWorkerSessions().add(adopted), clock, db);
    after.queue.restore(() => false);
    expect(after.loop.restore()).toBe(true);
    expect(after.loop.status()).toMatchObject({
      pausedUntil: resumeAt,
      maxWaitMinutes: 90,
      autoResume: true,
    });
    clock.advance(5 * 60_000);
    expect(after.task('t').status).toBe('pending');
    expect(adopted.lines).toEqual([]);
    clock.advance(5 * 60_000 + LIMIT_RESUME_MARGIN_MS + TIMING.tickMs);
    expect(after.loop.status().pausedUntil).toBeNull();
    expect(after.task('t').status).toBe('running');
    after.loop.shutdown();
  });

  it('stops at a usage limit that resets later than maxWaitMinutes, or at any limit without autoResume', () => {
    for (const options of [{ maxWaitMinutes: 5 }, { autoResume: false }]) {
      const s1 = FakeWorkerSession.interactive('s1');
      const h = new Harness(new FakeWorkerSessions().add(s1));
      h.add({ id: 't', prompt: 'do it' });
      h.start({ sessionIds: ['s1'], ...options });
      clearAndPrompt(s1);
      const until = h.clock.now() + 10 * 60_000;
      s1.fails('Claude usage limit reached', until);
      expect(h.loop.status()).toMatchObject({
        running: false,
        stopReason: RalphStopReason.limit(until, 'Claude usage limit reached'),
      });
      expect(h.task('t').status).toBe('pending');
    }
  });

  it('gives the next task to the worker that waited longest', () => {
    const s1 = FakeWorkerSession.interactive('s1');
    const s2 = FakeWorkerSession.interactive('s2');
    const h = new Harness(new FakeWorkerSessions().add(s1, s2));
    h.add({ id: 'a', prompt: 'a' });
    h.add({ id: 'b', prompt: 'b', dependsOn: ['a'] });
    h.add({ id: 'c', prompt: 'c', dependsOn: ['b'] });
    h.start({ sessionIds: ['s1', 's2'] });
    clearAndPrompt(s1);
    s1.print(MARKER);
    clearAndPrompt(s2);
    s2.print(MARKER);
    s1.idle();
    s2.idle();
    clearAndPrompt(s1);
    s1.print(MARKER);
    expect(h.log().filter((line) => line.startsWith('assigned'))).toEqual([
      'assigned a→s1',
      'assigned b→s2',
      'assigned c→s1',
    ]);
    expect(h.loop.status()).toMatchObject({ running: false, completedCount: 3 });
  });
});

describe('RalphLoop: failures', () => {
  it('fails a task on its timeout, interrupts the agent, and fails its dependents', () => {
    const s1 = FakeWorkerSession.interactive('s1');
    const h = new Harness(new FakeWorkerSessions().add(s1));
    h.add({ id: 'slow', prompt: 'slow', timeoutMs: 5_000 });
    h.add({ id: 'next', prompt: 'next', dependsOn: ['slow'] });
    h.start({ sessionIds: ['s1'] });
    clearAndPrompt(s1);
    h.clock.advance(4_999);
    expect(h.task('slow').status).toBe('running');
    h.clock.advance(1);
    expect(h.task('slow')).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/timed out after 5000 ms/),
    });
    expect(h.task('next')).toMatchObject({ status: 'failed', error: 'dependency slow failed' });
    expect(s1.writes).toEqual([INTERRUPT_KEY]);
    expect(h.log()).toEqual([
      'started',
      'assigned slow→s1',
      'task:failed slow',
      'task:failed next',
      'ralph-completed slow false',
      `stopped: ${RalphStopReason.done}`,
    ]);
    expect(h.loop.status()).toMatchObject({ failedCount: 1, completedCount: 0 });
  });

  it('uses the default timeout for a task without one', () => {
    const s1 = FakeWorkerSession.interactive('s1');
    const h = new Harness(new FakeWorkerSessions().add(s1));
    h.add({ id: 't', prompt: 'x' });
    h.start({ sessionIds: ['s1'] });
    h.clock.advance(TIMING.taskTimeoutMs);
    expect(h.task('t').status).toBe('failed');
  });

  it('puts the task back when its session exits, brings the session back, and gives up after the attempts', () => {
    const s1 = FakeWorkerSession.interactive('s1');
    const h = new Harness(new FakeWorkerSessions().add(s1));
    h.add({ id: 't', prompt: 'crashes the CLI' });
    h.start({ sessionIds: ['s1'] });
    for (let attempt = 1; attempt <= MAX_TASK_ATTEMPTS; attempt++) {
      expect(h.task('t')).toMatchObject({ status: 'running', attempts: attempt });
      s1.exit();
      if (attempt < MAX_TASK_ATTEMPTS) {
        expect(h.task('t')).toMatchObject({ status: 'pending', attempts: attempt });
        expect(s1.starts).toBe(attempt);
        s1.idle();
        // A CLI the loop has just started has nothing to clear.
        expect(s1.lastLine).toBe(buildTaskPrompt('crashes the CLI', DONE));
      }
    }
    expect(h.task('t')).toMatchObject({
      status: 'failed',
      error: 'gave up after 3 attempts without an outcome',
    });
    expect(h.warnings.filter((w) => w.includes('lost its session'))).toHaveLength(MAX_TASK_ATTEMPTS);
    expect(h.loop.status()).toMatchObject({ running: false, failedCount: 1 });
  });
});

describe('RalphLoop: workers it starts', () => {
  it('starts up to maxWorkers sessions in the tasks’ directories and uses them once at their prompt', () => {
    const sessions = new FakeWorkerSessions();
    const h = new Harness(sessions);
    h.add({ id: 'x', prompt: 'x', workingDir: '/a' });
    h.add({ id: 'y', prompt: 'y', workingDir: '/b' });
    h.add({ id: 'z', prompt: 'z', workingDir: '/a' });
    h.start({ maxWorkers: 2 });
    expect(sessions.created.map((s) => [s.id, s.workingDir, s.starts])).toEqual([
      ['w1', '/a', 1],
      ['w2', '/b', 1],
    ]);
    expect(h.log()).toEqual(['started']);
    const [w1, w2] = sessions.created;
    if (w1 === undefined || w2 === undefined) throw new Error('two workers expected');
    w1.idle();
    w2.idle();
    expect(h.log().slice(1)).toEqual(['assigned x→w1', 'assigned y→w2']);
    expect(w1.lines).toEqual([buildTaskPrompt('x', DONE)]);
    w1.print(MARKER);
    w1.idle();
    expect(w1.lines.at(-1)).toBe(CLEAR_COMMAND);
    expect(h.task('z')).toMatchObject({ status: 'running', assignedSessionId: 'w1' });
    expect(h.loop.status().sessionIds).toEqual(['w1', 'w2']);
  });

  it('makes way: an idle worker of its own in another directory is stopped for a task elsewhere', () => {
    const sessions = new FakeWorkerSessions();
    const h = new Harness(sessions);
    h.add({ id: 'here', prompt: 'here', workingDir: '/a' });
    h.start({ maxWorkers: 1, minDurationMinutes: 60 });
    const w1 = sessions.at('w1');
    w1.idle();
    h.add({ id: 'there', prompt: 'there', workingDir: '/b', priority: 10 });
    w1.print(MARKER);
    w1.idle();
    expect(w1.stops).toHaveLength(1);
    const w2 = sessions.at('w2');
    expect(w2).toMatchObject({ workingDir: '/b', starts: 1 });
    w2.idle();
    expect(h.task('there')).toMatchObject({ status: 'running', assignedSessionId: 'w2' });
  });

  it('stops when workers keep failing to start, and when the CLI cannot be started at all', () => {
    const sessions = new FakeWorkerSessions();
    const h = new Harness(sessions);
    h.add({ id: 't', prompt: 't' });
    h.start();
    sessions.at('w1').exit();
    sessions.at('w1').exit();
    expect(h.loop.isRunning).toBe(true);
    h.clock.advance(TIMING.workerStartTimeoutMs);
    expect(h.loop.status()).toMatchObject({
      running: false,
      stopReason: expect.stringMatching(/^workers failed to start 3 times in a row/),
    });
    expect(h.task('t').status).toBe('pending');

    const broken = new FakeWorkerSessions();
    broken.failCreateWith = 'CLAUDE_NOT_FOUND';
    const h2 = new Harness(broken);
    h2.add({ prompt: 't' });
    h2.start();
    expect(h2.loop.status()).toMatchObject({
      running: false,
      stopReason: 'cannot start a worker: cannot create',
    });
  });
});

describe('RalphLoop: budget and duration', () => {
  it('stops when the cost its sessions report reaches the budget; earlier spending does not count', () => {
    const s1 = FakeWorkerSession.interactive('s1');
    s1.totalCost = 5;
    const h = new Harness(new FakeWorkerSessions().add(s1));
    h.add({ id: 't', prompt: 'expensive' });
    h.start({ sessionIds: ['s1'], maxCostUsd: 1 });
    clearAndPrompt(s1);
    s1.totalCost = 5.6;
    h.clock.advance(TIMING.tickMs);
    expect(h.loop.status()).toMatchObject({ running: true, totalCost: expect.closeTo(0.6, 9) });
    s1.totalCost = 6.1;
    h.clock.advance(TIMING.tickMs);
    const reason = RalphStopReason.budget(1.1, 1);
    expect(reason).toBe('budget reached: $1.1000 spent of $1.0000');
    expect(h.loop.status()).toMatchObject({ running: false, stopReason: reason, assignments: [] });
    expect(h.task('t')).toMatchObject({ status: 'pending', attempts: 1 });
    expect(s1.writes).toEqual([INTERRUPT_KEY]);
    expect(s1.stops).toEqual([]);
    expect(h.log().at(-1)).toBe(`stopped: ${reason}`);
    expect(h.clock.pendingTimers).toBe(0);
  });

  it('keeps going until the minimum duration, giving itself follow-up work when the queue runs dry', () => {
    const s1 = FakeWorkerSession.interactive('s1', '/repo');
    const h = new Harness(new FakeWorkerSessions().add(s1));
    h.add({ id: 'only', prompt: 'the one task' });
    h.start({ sessionIds: ['s1'], minDurationMinutes: 10 });
    clearAndPrompt(s1);
    s1.print(MARKER);
    expect(h.loop.isRunning).toBe(true);
    const followUps: QueueTask[] = [];
    while (h.loop.isRunning) {
      const next = h.queue.list().find((task) => task.status === 'pending' || task.status === 'running');
      if (next === undefined) throw new Error('a follow-up task expected');
      followUps.push(next);
      // Time passes between tasks (within a task it would count against the task's timeout).
      h.clock.advance(4 * 60 * 1000);
      s1.idle();
      clearAndPrompt(s1);
      s1.print(MARKER);
    }
    expect(followUps.map((task) => task.prompt)).toEqual(FOLLOW_UP_PROMPTS.slice(0, 3));
    expect(
      followUps.every((task) => task.priority === FOLLOW_UP_PRIORITY && task.workingDir === '/repo'),
    ).toBe(true);
    expect(h.loop.status()).toMatchObject({ completedCount: 4, stopReason: RalphStopReason.done });
    expect(h.clock.now() - (h.loop.status().startedAt ?? 0)).toBeGreaterThanOrEqual(10 * 60 * 1000);
  });

  it('stops at once when started with nothing to do and no minimum duration', () => {
    const h = new Harness();
    const started = h.loop.start();
    expect(started).toMatchObject({ ok: true, status: { running: true } });
    h.clock.advance(0);
    expect(h.loop.status()).toMatchObject({ running: false, stopReason: 'all tasks done' });
  });
});

describe('RalphLoop: control and restart', () => {
  it('refuses conflicting and invalid requests with stable codes', () => {
    const h = new Harness(new FakeWorkerSessions().add(FakeWorkerSession.interactive('s1')));
    expect(h.loop.stop()).toMatchObject({ ok: false, code: 'RALPH_NOT_RUNNING' });
    expect(h.loop.start({ sessionIds: ['nope'] })).toMatchObject({ ok: false, code: 'SESSION_NOT_FOUND' });
    expect(h.loop.start({ maxWorkers: 11 })).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    expect(h.loop.start({ maxCostUsd: 0 })).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    h.add({ prompt: 'keep it busy' });
    expect(h.loop.start({ sessionIds: ['s1'] }).ok).toBe(true);
    expect(h.loop.start()).toMatchObject({ ok: false, code: 'RALPH_RUNNING' });
  });

  it('stop puts running tasks back, interrupts given sessions, stops its own, and leaves no timer', () => {
    const given = FakeWorkerSession.interactive('given');
    const sessions = new FakeWorkerSessions().add(given);
    const h = new Harness(sessions);
    h.add({ id: 'a', prompt: 'a' });
    h.add({ id: 'b', prompt: 'b' });
    h.start({ sessionIds: ['given'], maxWorkers: 2 });
    const own = sessions.at('w1');
    own.idle();
    expect(h.loop.status().assignments).toHaveLength(2);
    const stopped = h.loop.stop();
    expect(stopped).toMatchObject({
      ok: true,
      status: {
        running: false,
        stopReason: 'stopped by request',
        sessionIds: ['given', 'w1'],
        assignments: [],
      },
    });
    expect(h.queue.counts()).toMatchObject({ pending: 2, running: 0 });
    expect(given.writes).toEqual([INTERRUPT_KEY]);
    expect(given.stops).toEqual([]);
    expect(own.stops).toEqual(['the Ralph loop stopped: stopped by request']);
    expect(h.clock.pendingTimers).toBe(0);
    expect(h.log().at(-1)).toBe('stopped: stopped by request');
  });

  it('resumes after a restart: running tasks are pending again and its sessions come back', () => {
    const db = Harness.database();
    const clock = new FakeClock();
    const before = new Harness(
      new FakeWorkerSessions().add(FakeWorkerSession.interactive('s1', '/p')),
      clock,
      db,
    );
    before.add({ id: 'first', prompt: 'first' });
    before.add({ id: 'second', prompt: 'second', dependsOn: ['first'] });
    before.add({ id: 'warmup', prompt: 'warmup', priority: 9 });
    before.start({ sessionIds: ['s1'], minDurationMinutes: 30, maxCostUsd: 10 });
    const s1 = before.sessions.at('s1');
    clearAndPrompt(s1);
    s1.print(MARKER);
    s1.idle();
    clearAndPrompt(s1);
    s1.totalCost = 0.25;
    clock.advance(TIMING.tickMs);
    const startedAt = before.loop.status().startedAt;
    expect(before.task('first').status).toBe('running');
    // The server goes away: the loop lets go, the sessions' processes die with it.
    before.loop.shutdown();
    expect(clock.pendingTimers).toBe(0);

    clock.advance(5 * 60 * 1000);
    const dead = new FakeWorkerSession('s1', '/p');
    dead.totalCost = 0.25;
    const after = new Harness(new FakeWorkerSessions().add(dead), clock, db);
    expect(after.queue.restore()).toEqual({ tasks: 3, requeued: 1 });
    expect(after.loop.restore()).toBe(true);
    expect(after.loop.status()).toMatchObject({
      running: true,
      startedAt,
      minDurationMinutes: 30,
      maxCostUsd: 10,
      maxWorkers: 1,
      sessionIds: ['s1'],
      completedCount: 1,
      totalCost: 0.25,
    });
    expect(after.task('first')).toMatchObject({ status: 'pending', attempts: 1 });
    clock.advance(0);
    expect(dead.starts).toBe(1);
    dead.idle();
    expect(dead.lines).toEqual([buildTaskPrompt('first', DONE)]);
    dead.print(MARKER);
    dead.idle();
    clearAndPrompt(dead);
    expect(after.task('second')).toMatchObject({ status: 'running', assignedSessionId: 's1' });
    expect(after.task('first').attempts).toBe(2);
  });

  it('watches on, without typing it again, a task whose agent survived the restart (tmux)', () => {
    const { db, clock, before } = loopOnS1(
      { id: 'long', prompt: 'a long task' },
      { id: 'next', prompt: 'the next task' },
    );
    const s1 = before.sessions.at('s1');
    clearAndPrompt(s1);
    expect(s1.lastLine).toBe(buildTaskPrompt('a long task', DONE));
    expect(before.task('long').status).toBe('running');
    before.loop.shutdown();

    // The agent runs on in tmux; the next server adopts it, still interactive, still on the task.
    clock.advance(60_000);
    const adopted = FakeWorkerSession.interactive('s1', '/p');
    const after = restartedWith(adopted, clock, db);
    expect(after.queue.restore((task) => task.assignedSessionId === 's1')).toEqual({ tasks: 2, requeued: 0 });
    expect(after.loop.restore()).toBe(true);
    expect(after.task('long')).toMatchObject({ status: 'running', assignedSessionId: 's1', attempts: 1 });
    expect(after.loop.status().assignments).toEqual([
      expect.objectContaining({ sessionId: 's1', taskId: 'long' }),
    ]);
    clock.advance(TIMING.tickMs);
    expect(adopted.lines).toEqual([]);
    // The marker on the redrawn screen completes it; the loop goes on with the next task.
    adopted.print(MARKER);
    expect(after.task('long').status).toBe('completed');
    clock.advance(0);
    // The screen that showed the marker is cleared before the next task is typed.
    clearAndPrompt(adopted);
    expect(adopted.lastLine).toBe(buildTaskPrompt('the next task', DONE));
    expect(after.task('next')).toMatchObject({ status: 'running', assignedSessionId: 's1' });
  });

  it('types a resumed task again when its adopted agent comes to rest without the marker', () => {
    const { db, clock, before } = loopOnS1({ id: 'task', prompt: 'the task' });
    // The server dies after /clear, before the prompt was typed.
    expect(before.sessions.at('s1').lastLine).toBe(CLEAR_COMMAND);
    before.loop.shutdown();

    const adopted = FakeWorkerSession.interactive('s1', '/p');
    const after = restartedWith(adopted, clock, db);
    after.queue.restore((task) => task.assignedSessionId === 's1');
    expect(after.loop.restore()).toBe(true);
    expect(after.task('task').status).toBe('running');
    adopted.idle();
    clock.advance(0);
    clearAndPrompt(adopted);
    expect(adopted.lastLine).toBe(buildTaskPrompt('the task', DONE));
    expect(after.task('task')).toMatchObject({ status: 'running', assignedSessionId: 's1', attempts: 2 });
    adopted.print(MARKER);
    expect(after.task('task').status).toBe('completed');
  });

  it('requeues a kept running task when its agent is not one it can watch, or the loop is stopped', () => {
    const { db, clock, before } = loopOnS1({ id: 'only', prompt: 'only task' });
    expect(before.task('only').status).toBe('running');
    before.loop.shutdown();

    // The session came back without a process (no tmux): the task is pending again.
    const after = restartedWith(new FakeWorkerSession('s1', '/p'), clock, db);
    after.queue.restore(() => true);
    expect(after.loop.restore()).toBe(true);
    expect(after.task('only')).toMatchObject({ status: 'pending', assignedSessionId: null });
    after.loop.stop();
    expect(after.loop.status().running).toBe(false);

    // A stopped loop never leaves a task running either.
    const third = restartedWith(FakeWorkerSession.interactive('s1', '/p'), clock, db);
    third.queue.restore(() => true);
    expect(third.loop.restore()).toBe(false);
    expect(third.queue.counts().running).toBe(0);
  });

  it('stops with the reason when a pass meets a bug, instead of throwing into a session or timer', () => {
    const s1 = FakeWorkerSession.interactive('s1');
    Object.defineProperty(s1, 'isInteractive', {
      get: () => {
        throw new Error('boom');
      },
    });
    const h = new Harness(new FakeWorkerSessions().add(s1));
    h.add({ prompt: 'x' });
    expect(() => h.start({ sessionIds: ['s1'] })).not.toThrow();
    expect(h.loop.status()).toMatchObject({ running: false, stopReason: 'internal error: boom' });
    expect(h.warnings).toContain('Ralph loop failed');
    expect(h.clock.pendingTimers).toBe(0);
  });

  it('does not resume a loop that was stopped, but shows how it ended', () => {
    const db = Harness.database();
    const before = new Harness(new FakeWorkerSessions(), new FakeClock(), db);
    before.start();
    const after = new Harness(new FakeWorkerSessions(), new FakeClock(), db);
    expect(after.loop.restore()).toBe(false);
    expect(after.loop.status()).toMatchObject({ running: false, stopReason: 'all tasks done' });
    expect(after.clock.pendingTimers).toBe(0);
  });
});
