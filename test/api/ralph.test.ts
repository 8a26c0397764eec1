// API: the task queue (/api/tasks) and the Ralph loop (/api/ralph) against the fake claude: admission
// errors, three dependent tasks through two interactive sessions with their events in order, the budget,
// a task whose prompt quotes its own marker, and a restart in the middle of a task.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RalphStopReason } from '../../src/agent/ralph/ralph-settings.js';
import { DEFAULT_COMPLETION_PHRASE } from '../../src/protocol/rest/tasks.js';
import {
  asArray,
  asNumber,
  asObject,
  asString,
  createSession,
  expectApiError,
  expectJson,
  expectJsonArray,
  type Json,
  pollAsync,
  type SseClient,
  type SseFrame,
  useApiResources,
  waitForSession,
} from '../helpers/api-client.js';
import type { ClaudemanTestServer } from '../helpers/claudeman-server.js';

const r = useApiResources();

const TASK_KEYS = [
  'assignedSessionId',
  'attempts',
  'completionPhrase',
  'createdAt',
  'dependsOn',
  'error',
  'finishedAt',
  'id',
  'priority',
  'prompt',
  'startedAt',
  'status',
  'timeoutMs',
  'workingDir',
];
const STATUS_KEYS = [
  'assignments',
  'autoResume',
  'completedCount',
  'failedCount',
  'maxCostUsd',
  'maxWaitMinutes',
  'maxWorkers',
  'minDurationMinutes',
  'pausedUntil',
  'running',
  'sessionIds',
  'startedAt',
  'stopReason',
  'totalCost',
];
/**
 * The loop's work against the fake: the heuristic's 2 s idle per step, a few steps, and much slack:
 * other suites may load this 2-core machine at the same time.
 */
const LOOP_TIMEOUT_MS = 60_000;
/** Quick turns; no idle_prompt Notification to add idle signals of its own. */
const FAST_ENV = { ...process.env, FAKE_CLAUDE_WORK_MS: '100', FAKE_CLAUDE_IDLE_NOTIFY_MS: 'off' };
const MARKER = `[[promise:${DEFAULT_COMPLETION_PHRASE}]]`;

function expectTask(value: unknown): Json {
  const task = asObject(value, 'task');
  expect(Object.keys(task).sort()).toEqual(TASK_KEYS);
  return task;
}

function expectStatus(value: unknown): Json {
  const status = asObject(value, 'ralph status');
  expect(Object.keys(status).sort()).toEqual(STATUS_KEYS);
  return status;
}

async function addTask(s: ClaudemanTestServer, body: Json): Promise<Json> {
  const created = await expectJson(await s.send('POST', '/api/tasks', body), 201);
  expect(Object.keys(created).sort()).toEqual(['success', 'task']);
  expect(created.success).toBe(true);
  return expectTask(created.task);
}

async function getTask(s: ClaudemanTestServer, id: string): Promise<Json> {
  return expectTask(await expectJson(await s.api(`/api/tasks/${id}`), 200));
}

async function ralph(s: ClaudemanTestServer): Promise<Json> {
  return expectStatus(await expectJson(await s.api('/api/ralph'), 200));
}

async function startRalph(s: ClaudemanTestServer, body: Json): Promise<Json> {
  const started = await expectJson(await s.send('POST', '/api/ralph/start', body), 200);
  expect(Object.keys(started).sort()).toEqual(['status', 'success']);
  return expectStatus(started.status);
}

/** A session running the fake interactively in its own directory. */
async function interactiveSession(s: ClaudemanTestServer): Promise<string> {
  const id = asString((await createSession(s, { workingDir: r.tempDir('claudeman-ralph-') })).id);
  await expectJson(await s.send('POST', `/api/sessions/${id}/interactive`, {}), 200);
  return id;
}

/** "kind taskId[→sessionId]" for the ralph:* and task:completed|failed events, in arrival order. */
function story(sse: SseClient): string[] {
  return sse.frames.flatMap((f: SseFrame) => {
    const data = f.data;
    switch (f.type) {
      case 'ralph:assigned':
        return [`assigned ${asString(data.taskId)}→${asString(data.sessionId)}`];
      case 'ralph:completed':
        return [`ralph:completed ${asString(data.taskId)} ${String(data.success)}`];
      case 'task:completed':
      case 'task:failed':
        return [`${f.type} ${asString(asObject(data.task).id)}`];
      case 'ralph:stopped':
        return [`stopped: ${asString(data.reason)}`];
      default:
        return [];
    }
  });
}

/**
 * Waits for the loop to stop; on a timeout, says where it stood (events so far, loop status, tasks,
 * sessions), since a stall can be anywhere between the queue, the loop and a session's idle signal.
 */
async function waitForStop(s: ClaudemanTestServer, sse: SseClient): Promise<SseFrame> {
  try {
    return await sse.nextOf('ralph:stopped', undefined, LOOP_TIMEOUT_MS);
  } catch (error) {
    const sessions = (await expectJsonArray(await s.api('/api/sessions'))).map((x) => {
      const { id, status, mode, currentTaskId } = asObject(x);
      return { id, status, mode, currentTaskId };
    });
    const state = {
      story: story(sse),
      ralph: await ralph(s),
      tasks: await expectJsonArray(await s.api('/api/tasks')),
      sessions,
    };
    throw new Error(`${(error as Error).message}\nstate: ${JSON.stringify(state, null, 1)}`);
  }
}

describe('/api/tasks', () => {
  it('creates, lists, reads and deletes tasks with task:* events', async () => {
    const s = await r.server();
    const sse = await r.sse(s);
    const dir = r.tempDir('claudeman-tasks-');
    const first = await addTask(s, { prompt: 'first' });
    expect(first).toMatchObject({
      prompt: 'first',
      workingDir: null,
      priority: 0,
      dependsOn: [],
      completionPhrase: DEFAULT_COMPLETION_PHRASE,
      timeoutMs: null,
      status: 'pending',
      attempts: 0,
      assignedSessionId: null,
      startedAt: null,
      finishedAt: null,
      error: null,
    });
    expect(asString(first.id)).toMatch(/^[0-9a-f-]{36}$/);
    const second = await addTask(s, {
      id: 'second',
      prompt: 'second',
      workingDir: dir,
      priority: 7,
      dependsOn: [first.id],
      completionPhrase: 'ALL DONE',
      timeoutMs: 60_000,
    });
    expect(second).toMatchObject({ id: 'second', priority: 7, dependsOn: [first.id], timeoutMs: 60_000 });
    expect(asString(second.workingDir).endsWith(dir.split('/').at(-1) ?? '?')).toBe(true);

    const list = await expectJsonArray(await s.api('/api/tasks'));
    expect(list.map((t) => expectTask(t).id)).toEqual([first.id, 'second']);
    expect(await getTask(s, 'second')).toEqual(second);
    await expectApiError(await s.api('/api/tasks/nope'), 404, 'TASK_NOT_FOUND');

    await expectApiError(
      await s.api(`/api/tasks/${asString(first.id)}`, { method: 'DELETE' }),
      409,
      'TASK_HAS_DEPENDENTS',
    );
    expect(await expectJson(await s.api('/api/tasks/second', { method: 'DELETE' }), 200)).toEqual({
      success: true,
    });
    await expectApiError(await s.api('/api/tasks/second', { method: 'DELETE' }), 404, 'TASK_NOT_FOUND');

    const created = await sse.nextOf('task:created');
    expect(asObject(created.data.task).id).toBe(first.id);
    const deleted = await sse.nextOf('task:deleted');
    expect(deleted.data).toEqual({ id: 'second' });
  });

  it('refuses missing dependencies and cycles with 400, duplicates with 409, bad input with 400', async () => {
    const s = await r.server();
    const missing = await expectApiError(
      await s.send('POST', '/api/tasks', { prompt: 'x', dependsOn: ['ghost'] }),
      400,
      'DEPENDENCY_NOT_FOUND',
    );
    expect(missing.error).toMatch(/ghost/);
    const self = await expectApiError(
      await s.send('POST', '/api/tasks', { id: 'me', prompt: 'x', dependsOn: ['me'] }),
      400,
      'DEPENDENCY_CYCLE',
    );
    expect(self.error).toBe('dependency cycle: me → me');
    const cycle = await expectApiError(
      await s.send('POST', '/api/tasks/batch', {
        tasks: [
          { id: 'a', prompt: 'a', dependsOn: ['c'] },
          { id: 'b', prompt: 'b', dependsOn: ['a'] },
          { id: 'c', prompt: 'c', dependsOn: ['b'] },
        ],
      }),
      400,
      'DEPENDENCY_CYCLE',
    );
    expect(cycle.error).toBe('dependency cycle: a → c → b → a');
    expect(await expectJsonArray(await s.api('/api/tasks'))).toEqual([]);

    const batch = await expectJson(
      await s.send('POST', '/api/tasks/batch', {
        tasks: [
          { id: 'b', prompt: 'b', dependsOn: ['a'] },
          { id: 'a', prompt: 'a' },
        ],
      }),
      201,
    );
    expect(asArray(batch.tasks).map((t) => expectTask(t).id)).toEqual(['b', 'a']);
    await expectApiError(
      await s.send('POST', '/api/tasks', { id: 'a', prompt: 'again' }),
      409,
      'TASK_EXISTS',
    );

    for (const body of [
      {},
      { prompt: '' },
      { prompt: 42 },
      { prompt: 'x', priority: 1.5 },
      { prompt: 'x', completionPhrase: '<b>' },
      { prompt: 'x', timeoutMs: 5 },
      { prompt: 'x', dependsOn: 'a' },
      { id: '../up', prompt: 'x' },
    ]) {
      await expectApiError(await s.send('POST', '/api/tasks', body), 400, 'BAD_REQUEST');
    }
    await expectApiError(
      await s.send('POST', '/api/tasks', { prompt: 'x', workingDir: '/no/such/dir' }),
      400,
      'INVALID_PATH',
    );
  });
});

describe('/api/ralph', () => {
  it('reports a stopped loop and refuses what conflicts with its state', async () => {
    const s = await r.server();
    expect(await ralph(s)).toEqual({
      running: false,
      startedAt: null,
      minDurationMinutes: null,
      maxCostUsd: null,
      maxWorkers: 1,
      sessionIds: [],
      assignments: [],
      completedCount: 0,
      failedCount: 0,
      totalCost: 0,
      stopReason: null,
      pausedUntil: null,
      autoResume: true,
      maxWaitMinutes: 360,
    });
    await expectApiError(await s.send('POST', '/api/ralph/stop'), 409, 'RALPH_NOT_RUNNING');
    await expectApiError(
      await s.send('POST', '/api/ralph/start', { sessionIds: ['nope'] }),
      404,
      'SESSION_NOT_FOUND',
    );
    for (const body of [
      { maxWorkers: 11 },
      { maxCostUsd: 0 },
      { minDurationMinutes: -1 },
      { sessionIds: 'x' },
    ]) {
      await expectApiError(await s.send('POST', '/api/ralph/start', body), 400, 'BAD_REQUEST');
    }
    // A pending task no worker may take (maxWorkers 0, no sessions) keeps the loop running.
    await addTask(s, { prompt: 'waits' });
    const started = await startRalph(s, { maxWorkers: 0 });
    expect(started).toMatchObject({ running: true, maxWorkers: 0, stopReason: null });
    await expectApiError(await s.send('POST', '/api/ralph/start', {}), 409, 'RALPH_RUNNING');
    const stopped = await expectJson(await s.send('POST', '/api/ralph/stop'), 200);
    expect(expectStatus(stopped.status)).toMatchObject({
      running: false,
      stopReason: RalphStopReason.requested,
    });
  });

  it(
    'completes three dependent tasks in order through two sessions, with events in order',
    async () => {
      const s = await r.server({ env: FAST_ENV });
      const sse = await r.sse(s);
      const s1 = await interactiveSession(s);
      const s2 = await interactiveSession(s);
      await addTask(s, { id: 'one', prompt: `first step ${MARKER}` });
      await addTask(s, { id: 'two', prompt: `second step ${MARKER}`, dependsOn: ['one'] });
      await addTask(s, {
        id: 'three',
        prompt: 'third step [[promise:ALL GOOD]]',
        dependsOn: ['two'],
        completionPhrase: 'ALL GOOD',
      });
      const started = await startRalph(s, { sessionIds: [s1, s2] });
      expect(started).toMatchObject({ running: true, sessionIds: [s1, s2], maxWorkers: 2 });

      const stopped = await waitForStop(s, sse);
      expect(stopped.data.reason).toBe(RalphStopReason.done);
      // The first session at its prompt takes the first task; then they take turns.
      const first = asString(sse.ofType('ralph:assigned')[0]?.data.sessionId);
      const other = first === s1 ? s2 : s1;
      expect([s1, s2]).toContain(first);
      expect(story(sse)).toEqual([
        `assigned one→${first}`,
        'task:completed one',
        'ralph:completed one true',
        `assigned two→${other}`,
        'task:completed two',
        'ralph:completed two true',
        `assigned three→${first}`,
        'task:completed three',
        'ralph:completed three true',
        `stopped: ${RalphStopReason.done}`,
      ]);
      // task:updated (running) comes before its ralph:assigned.
      const types = sse.frames.map((f) => f.type);
      expect(types.indexOf('task:updated')).toBeLessThan(types.indexOf('ralph:assigned'));

      for (const id of ['one', 'two', 'three']) {
        expect(await getTask(s, id)).toMatchObject({ status: 'completed', attempts: 1, error: null });
      }
      expect(await ralph(s)).toMatchObject({
        running: false,
        completedCount: 3,
        failedCount: 0,
        assignments: [],
      });
      // The given sessions are left running, at their prompt, with no task.
      for (const id of [s1, s2]) {
        const session = await waitForSession(s, id, (x) => x.status === 'idle', 'the session at its prompt');
        expect(session).toMatchObject({ mode: 'interactive', currentTaskId: null });
      }
    },
    LOOP_TIMEOUT_MS + 10_000,
  );

  it(
    'does not complete a task whose prompt quotes its own marker: the echo is no completion',
    async () => {
      const s = await r.server({ env: FAST_ENV });
      const sse = await r.sse(s);
      await addTask(s, {
        id: 'quoted',
        prompt: `Do nothing. Print <promise>${DEFAULT_COMPLETION_PHRASE}</promise> when done.`,
        workingDir: r.tempDir('claudeman-ralph-'),
        timeoutMs: 4_000,
      });
      await startRalph(s, {});
      const failed = await sse.nextOf('task:failed', undefined, LOOP_TIMEOUT_MS);
      expect(asObject(failed.data.task)).toMatchObject({
        id: 'quoted',
        error: expect.stringMatching(/timed out after 4000 ms/),
      });
      // The prompt went as written (the CLI reports its turns); the fake's reply quoted it, marker and all.
      const [sessionId] = asArray((await ralph(s)).sessionIds);
      const output = await expectJson(await s.api(`/api/sessions/${asString(sessionId)}/terminal`), 200);
      expect(asString(output.terminalBuffer)).toContain(
        `Echo: Do nothing. Print <promise>${DEFAULT_COMPLETION_PHRASE}</promise> when done.`,
      );
      await waitForStop(s, sse);
      expect(await ralph(s)).toMatchObject({ completedCount: 0, failedCount: 1 });
    },
    LOOP_TIMEOUT_MS + 10_000,
  );

  it(
    'stops when the cost its sessions report reaches the budget',
    async () => {
      const s = await r.server({ env: FAST_ENV });
      const sse = await r.sse(s);
      const session = asString((await createSession(s)).id);
      await addTask(s, { id: 'waiting', prompt: 'never assigned' });
      // No worker may be started: the loop watches the session it was given, which runs headless.
      await startRalph(s, { sessionIds: [session], maxWorkers: 0, maxCostUsd: 0.3 });
      await expectJson(
        await s.send('POST', `/api/sessions/${session}/run`, { prompt: 'spend [[cost:0.25]]' }),
        200,
      );
      await waitForSession(s, session, (x) => x.totalCost === 0.25 && x.status === 'idle', 'the first run');
      await pollAsync(async () => (await ralph(s)).totalCost === 0.25, 'the loop to count the first run');
      expect((await ralph(s)).running).toBe(true);
      await expectJson(
        await s.send('POST', `/api/sessions/${session}/run`, { prompt: 'spend [[cost:0.1]]' }),
        200,
      );
      const stopped = await waitForStop(s, sse);
      expect(asString(stopped.data.reason)).toMatch(/^budget reached: \$0\.3500 spent of \$0\.3000$/);
      expect(expectStatus(stopped.data.status)).toMatchObject({
        running: false,
        totalCost: expect.closeTo(0.35, 9),
      });
      expect(await getTask(s, 'waiting')).toMatchObject({ status: 'pending', attempts: 0 });
    },
    LOOP_TIMEOUT_MS + 10_000,
  );

  it(
    'resumes after a restart in the middle of a task, in the session it had started',
    async () => {
      const root = r.tempDir('claudeman-ralph-restart-');
      const dirs = { dataDir: join(root, 'data'), casesDir: join(root, 'cases') };
      const work = r.tempDir('claudeman-ralph-work-');
      // First server: turns take a minute, so the restart happens while the agent works.
      const first = await r.server({ ...dirs, env: { ...FAST_ENV, FAKE_CLAUDE_WORK_MS: '60000' } });
      const firstEvents = await r.sse(first);
      await addTask(first, { id: 'build', prompt: `build it ${MARKER}`, workingDir: work });
      await addTask(first, {
        id: 'ship',
        prompt: `ship it ${MARKER}`,
        workingDir: work,
        dependsOn: ['build'],
      });
      await startRalph(first, { minDurationMinutes: 0.01 });
      const assigned = await firstEvents.nextOf('ralph:assigned', undefined, LOOP_TIMEOUT_MS);
      const worker = asString(assigned.data.sessionId);
      const before = await ralph(first);
      expect(before).toMatchObject({ running: true, sessionIds: [worker] });
      expect(await getTask(first, 'build')).toMatchObject({ status: 'running', attempts: 1 });
      await r.closeServer(first);

      const second = await r.server({ ...dirs, env: FAST_ENV });
      const events = await r.sse(second);
      const resumed = await ralph(second);
      expect(resumed).toMatchObject({ running: true, startedAt: before.startedAt, sessionIds: [worker] });
      const stopped = await waitForStop(second, events);
      expect(stopped.data.reason).toBe(RalphStopReason.done);
      expect(story(events)).toEqual([
        `assigned build→${worker}`,
        'task:completed build',
        'ralph:completed build true',
        `assigned ship→${worker}`,
        'task:completed ship',
        'ralph:completed ship true',
        `stopped: ${RalphStopReason.done}`,
      ]);
      expect(await getTask(second, 'build')).toMatchObject({ status: 'completed', attempts: 2 });
      expect(await getTask(second, 'ship')).toMatchObject({ status: 'completed', attempts: 1 });
      expect(asNumber((await ralph(second)).completedCount)).toBe(2);
      // The loop stopped the worker it had brought back.
      await waitForSession(
        second,
        worker,
        (x) => x.status === 'stopped' && x.pid === null,
        'the worker to stop',
      );
    },
    2 * LOOP_TIMEOUT_MS,
  );
});
