// API: /api/scheduled — repeated one-shot runs in fresh sessions until the end time or the cost budget,
// with the real server and the fake claude (whose FAKE_CLAUDE_RECORD file shows the prompts it got).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  asArray,
  asNumber,
  asObject,
  asString,
  expectApiError,
  expectJson,
  expectJsonArray,
  type Json,
  pollAsync,
  real,
  useApiResources,
} from '../helpers/api-client.js';
import type { ClaudemanTestServer } from '../helpers/claudeman-server.js';
import { pollUntil, processExists } from '../helpers/poll.js';

const r = useApiResources();

const RUN_KEYS = [
  'autoResume',
  'completedTasks',
  'durationMinutes',
  'endAt',
  'id',
  'logs',
  'maxCostUsd',
  'maxWaitMinutes',
  'pausedUntil',
  'prompt',
  'sessionId',
  'startedAt',
  'status',
  'stopReason',
  'totalCost',
  'workingDir',
];

/** A server whose fake claude appends every prompt it is given to a record file. */
async function recordingServer(
  options: { dataDir?: string; casesDir?: string; record?: string; env?: Record<string, string> } = {},
) {
  const record = options.record ?? join(r.tempDir('claudeman-record-'), 'claude.jsonl');
  const server = await r.server({
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    ...(options.casesDir === undefined ? {} : { casesDir: options.casesDir }),
    env: { ...process.env, FAKE_CLAUDE_RECORD: record, ...options.env },
  });
  return { server, record };
}

/** The prompts the fake claude received, in order. */
function recordedPrompts(record: string): string[] {
  if (!existsSync(record)) return [];
  return readFileSync(record, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => asObject(JSON.parse(line) as unknown))
    .filter((event) => event.event === 'submit')
    .map((event) => asString(event.text));
}

/** Seconds of "You have … left in this scheduled run." at the start of an iteration's prompt. */
function secondsTold(prompt: string): number {
  const match = /^You have (.+?) left in this scheduled run\./.exec(prompt);
  if (match === null) throw new Error(`no time left told in ${JSON.stringify(prompt.slice(0, 120))}`);
  let seconds = 0;
  for (const [, n, unit] of (match[1] ?? '').matchAll(/(\d+) (hour|minute|second)/g)) {
    seconds += Number(n) * (unit === 'hour' ? 3600 : unit === 'minute' ? 60 : 1);
  }
  return seconds;
}

function expectRun(value: unknown): Json {
  const run = asObject(value, 'scheduled run');
  expect(Object.keys(run).sort()).toEqual(RUN_KEYS);
  expect(['running', 'completed', 'stopped', 'error']).toContain(run.status);
  for (const line of asArray(run.logs)) {
    const entry = asObject(line);
    expect(Object.keys(entry).sort()).toEqual(['message', 'ts']);
    expect(typeof entry.ts).toBe('number');
    expect(typeof entry.message).toBe('string');
  }
  return run;
}

async function createRun(server: ClaudemanTestServer, body: Json): Promise<Json> {
  const created = await expectJson(await server.send('POST', '/api/scheduled', body), 201);
  expect(Object.keys(created).sort()).toEqual(['run', 'success']);
  expect(created.success).toBe(true);
  return expectRun(created.run);
}

async function getRun(server: ClaudemanTestServer, id: string): Promise<Json> {
  return expectRun(await expectJson(await server.api(`/api/scheduled/${id}`), 200));
}

async function waitForRun(
  server: ClaudemanTestServer,
  id: string,
  predicate: (run: Json) => boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<Json> {
  let last: Json = {};
  try {
    await pollAsync(
      async () => {
        last = await getRun(server, id);
        return predicate(last);
      },
      what,
      timeoutMs,
      50,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; last run: ${JSON.stringify(last).slice(0, 1500)}`);
  }
  return last;
}

const logMessages = (run: Json): string[] =>
  asArray(run.logs).map((line) => asString(asObject(line).message));

describe('scheduled runs', () => {
  it('runs the prompt in fresh sessions until the end, telling each the time left, and cleans up', async () => {
    const { server, record } = await recordingServer();
    const dir = r.tempDir();
    const sse = await r.sse(server);
    const run = await createRun(server, {
      prompt: 'tidy up [[sleep:300]]',
      workingDir: dir,
      durationMinutes: 0.1,
    });
    const id = asString(run.id);
    expect(run).toMatchObject({
      prompt: 'tidy up [[sleep:300]]',
      workingDir: real(dir),
      durationMinutes: 0.1,
      status: 'running',
      completedTasks: 0,
      totalCost: 0,
      maxCostUsd: null,
      stopReason: null,
    });
    expect(asNumber(run.endAt) - asNumber(run.startedAt)).toBe(6_000);
    expect(asString(run.sessionId)).toMatch(/^[0-9a-f-]{36}$/);

    const ended = await waitForRun(server, id, (x) => x.status !== 'running', 'the run to end');
    expect(ended.status).toBe('completed');
    expect(ended.stopReason).toBe('the scheduled time is up');
    expect(ended.sessionId).toBeNull();
    expect(asNumber(ended.completedTasks)).toBeGreaterThanOrEqual(3);
    expect(asNumber(ended.totalCost)).toBeGreaterThan(0);

    // Every iteration was told the time left, less and less.
    const prompts = recordedPrompts(record);
    expect(prompts.length).toBeGreaterThanOrEqual(asNumber(ended.completedTasks));
    for (const prompt of prompts) expect(prompt.endsWith('\n\ntidy up [[sleep:300]]')).toBe(true);
    const told = prompts.map(secondsTold);
    expect([5, 6]).toContain(told[0]);
    for (let i = 1; i < told.length; i++) expect(told[i]).toBeLessThanOrEqual(told[i - 1] ?? 0);
    expect(told.at(-1)).toBeLessThan(told[0] ?? 0);

    // No iteration session is left behind.
    expect(await expectJsonArray(await server.api('/api/sessions'))).toEqual([]);

    // Its life as events: created, updates with a shrinking remaining time, log lines, completed.
    const created = await sse.nextOf('scheduled:created');
    expect(created.data).toEqual({ id, prompt: 'tidy up [[sleep:300]]', duration: 0.1 });
    const completed = await sse.nextOf('scheduled:completed');
    expect(completed.data).toEqual({ id, success: true });
    const remaining = sse.frames
      .filter((f) => f.type === 'scheduled:updated' && f.data.id === id)
      .map((f) => asNumber(f.data.remaining));
    expect(remaining.length).toBeGreaterThanOrEqual(4);
    expect(remaining[0]).toBeGreaterThan(remaining.at(-1) ?? Number.POSITIVE_INFINITY);
    expect(remaining.at(-1)).toBe(0);
    expect(sse.frames.some((f) => f.type === 'scheduled:log' && f.data.id === id)).toBe(true);
    const iterationSessions = new Set(
      sse.frames.filter((f) => f.type === 'session:created').map((f) => asString(f.sessionId)),
    );
    const deletedSessions = new Set(
      sse.frames.filter((f) => f.type === 'session:deleted').map((f) => asString(f.sessionId)),
    );
    expect(iterationSessions.size).toBe(prompts.length);
    expect(deletedSessions).toEqual(iterationSessions);

    // Listed, and in the status snapshot.
    const list = await expectJsonArray(await server.api('/api/scheduled'));
    expect(list.map((x) => expectRun(x).id)).toEqual([id]);
    const status = await expectJson(await server.api('/api/status'), 200);
    expect(asArray(status.scheduledRuns).map((x) => asObject(x).id)).toEqual([id]);
  });

  it('DELETE stops the run and its running iteration, leaving no session or process', async () => {
    const { server } = await recordingServer();
    const sse = await r.sse(server);
    const run = await createRun(server, {
      prompt: 'long job [[sleep:30000]]',
      workingDir: r.tempDir(),
      durationMinutes: 5,
    });
    const id = asString(run.id);
    const sessionId = asString(run.sessionId);
    const busy = await sse.next(
      (f) =>
        f.type === 'session:updated' && f.sessionId === sessionId && asObject(f.data.session).pid !== null,
    );
    const pid = asNumber(asObject(busy.data.session).pid);

    expect(await expectJson(await server.api(`/api/scheduled/${id}`, { method: 'DELETE' }), 200)).toEqual({
      success: true,
    });
    const stopped = await getRun(server, id);
    expect(stopped).toMatchObject({ status: 'stopped', stopReason: 'cancelled by request', sessionId: null });
    expect(stopped.completedTasks).toBe(0);
    expect(await expectJsonArray(await server.api('/api/sessions'))).toEqual([]);
    await pollUntil(() => !processExists(pid), `iteration pid ${pid} gone`, 10_000);
    const event = await sse.nextOf('scheduled:stopped');
    expect(event.data).toEqual({ id, reason: 'cancelled by request' });

    // Again: nothing changes.
    expect(await expectJson(await server.api(`/api/scheduled/${id}`, { method: 'DELETE' }), 200)).toEqual({
      success: true,
    });
    expect((await getRun(server, id)).status).toBe('stopped');
  });

  it('stops once the cost budget is reached, saying why', async () => {
    const { server } = await recordingServer();
    const run = await createRun(server, {
      prompt: 'spend [[cost:0.4]]',
      workingDir: r.tempDir(),
      durationMinutes: 5,
      maxCostUsd: 1,
    });
    expect(run.maxCostUsd).toBe(1);
    const ended = await waitForRun(
      server,
      asString(run.id),
      (x) => x.status !== 'running',
      'the budget stop',
    );
    expect(ended.status).toBe('completed');
    expect(ended.completedTasks).toBe(3);
    expect(asNumber(ended.totalCost)).toBeCloseTo(1.2, 10);
    expect(ended.stopReason).toBe('cost budget reached: $1.2 spent of $1');
    expect(logMessages(ended).at(-1)).toMatch(/^completed: cost budget reached/);
    expect(await expectJsonArray(await server.api('/api/sessions'))).toEqual([]);
  });

  it('keeps going after failed iterations, with a pause between them', async () => {
    const { server, record } = await recordingServer();
    const run = await createRun(server, {
      prompt: 'boom [[crash]]',
      workingDir: r.tempDir(),
      durationMinutes: 0.05,
    });
    const ended = await waitForRun(server, asString(run.id), (x) => x.status !== 'running', 'the end');
    expect(ended).toMatchObject({ status: 'completed', completedTasks: 0 });
    const failures = logMessages(ended).filter((m) => m.startsWith('iteration failed'));
    // 3 s with pauses of 1 s and 2 s: two or three attempts, not a spin.
    expect(failures.length).toBeGreaterThanOrEqual(2);
    expect(failures.length).toBeLessThanOrEqual(3);
    expect(failures[0]).toContain('simulated crash');
    expect(recordedPrompts(record)).toHaveLength(failures.length);
    expect(await expectJsonArray(await server.api('/api/sessions'))).toEqual([]);
  });

  it('waits out a usage limit (its reset plus the margin) instead of retrying, then goes on', async () => {
    const { server, record } = await recordingServer({ env: { CLAUDEMAN_LIMIT_RESUME_MARGIN_MS: '700' } });
    const resetS = Math.ceil(Date.now() / 1000) + 2;
    const run = await createRun(server, {
      prompt: `work [[limit:${resetS}]]`,
      workingDir: r.tempDir(),
      durationMinutes: 1,
      maxWaitMinutes: 10,
    });
    const id = asString(run.id);
    const paused = await waitForRun(server, id, (x) => x.pausedUntil !== null, 'the pause');
    expect(paused.pausedUntil).toBe(resetS * 1000 + 700);
    expect(logMessages(paused).at(-1)).toMatch(/^usage limit until .*: the next iteration starts at /);
    expect(recordedPrompts(record)).toHaveLength(1);
    const resumed = await waitForRun(
      server,
      id,
      (x) => logMessages(x).includes('the usage limit has lifted: resuming'),
      'the resume',
    );
    expect(Date.now()).toBeGreaterThanOrEqual(resetS * 1000 + 700);
    expect(resumed.status).toBe('running');
    await pollAsync(async () => recordedPrompts(record).length >= 2, 'the next iteration', 10_000);
    await expectJson(await server.send('DELETE', `/api/scheduled/${id}`), 200);
  });

  it('ends a run at a usage limit when autoResume is off, saying why', async () => {
    const { server } = await recordingServer();
    const resetS = Math.ceil(Date.now() / 1000) + 3600;
    const run = await createRun(server, {
      prompt: `work [[limit:${resetS}]]`,
      workingDir: r.tempDir(),
      durationMinutes: 120,
      autoResume: false,
    });
    const ended = await waitForRun(server, asString(run.id), (x) => x.status !== 'running', 'the end');
    expect(ended).toMatchObject({ status: 'error', pausedUntil: null, autoResume: false });
    expect(asString(ended.stopReason)).toMatch(/^usage limit until .*: autoResume is off$/);
  });

  it('refuses bad requests and answers unknown ids with 404', async () => {
    const { server } = await recordingServer();
    const dir = r.tempDir();
    for (const body of [
      { prompt: 'x', durationMinutes: 0 },
      { prompt: 'x', durationMinutes: -1 },
      { prompt: 'x', durationMinutes: '5' },
      { prompt: 'x' },
      { durationMinutes: 1 },
      { prompt: '', durationMinutes: 1 },
      { prompt: 'x', durationMinutes: 1, maxCostUsd: 0 },
      { prompt: 'x', durationMinutes: 7 * 24 * 60 + 1 },
    ]) {
      await expectApiError(await server.send('POST', '/api/scheduled', body), 400, 'BAD_REQUEST');
    }
    await expectApiError(
      await server.send('POST', '/api/scheduled', {
        prompt: 'x',
        durationMinutes: 1,
        workingDir: join(dir, 'nope'),
      }),
      400,
      'INVALID_PATH',
    );
    expect(await expectJsonArray(await server.api('/api/scheduled'))).toEqual([]);
    await expectApiError(await server.api('/api/scheduled/abc'), 404, 'SCHEDULED_RUN_NOT_FOUND');
    await expectApiError(
      await server.api('/api/scheduled/abc', { method: 'DELETE' }),
      404,
      'SCHEDULED_RUN_NOT_FOUND',
    );
    expect(await expectJsonArray(await server.api('/api/sessions'))).toEqual([]);
  });

  describe('across a restart on the same data directory', () => {
    it('resumes a run whose end is ahead with a new iteration', async () => {
      const root = r.tempDir('claudeman-scheduled-');
      const dirs = {
        dataDir: join(root, 'data'),
        casesDir: join(root, 'cases'),
        record: join(root, 'record.jsonl'),
      };
      const { server: first } = await recordingServer(dirs);
      const run = await createRun(first, {
        prompt: 'slow work [[sleep:20000]]',
        workingDir: r.tempDir(),
        durationMinutes: 1,
        maxCostUsd: 5,
      });
      const id = asString(run.id);
      const firstSession = asString(run.sessionId);
      await pollUntil(() => recordedPrompts(dirs.record).length === 1, 'the first iteration to start');
      await r.closeServer(first);

      const { server: second } = await recordingServer(dirs);
      const resumed = await getRun(second, id);
      expect(resumed.status).toBe('running');
      expect(resumed.maxCostUsd).toBe(5);
      expect(resumed.startedAt).toBe(run.startedAt);
      expect(resumed.endAt).toBe(run.endAt);
      const newSession = asString(resumed.sessionId);
      expect(newSession).not.toBe(firstSession);
      const messages = logMessages(resumed);
      expect(messages.some((m) => m.startsWith('suspended: the server is shutting down'))).toBe(true);
      expect(messages.some((m) => m.startsWith('resumed after a server restart with'))).toBe(true);
      // Only the new iteration's session exists; the interrupted one was removed at shutdown.
      const sessions = (await expectJsonArray(await second.api('/api/sessions'))).map((x) => asObject(x).id);
      expect(sessions).toEqual([newSession]);
      await pollUntil(() => recordedPrompts(dirs.record).length === 2, 'the resumed iteration to start');
      const told = recordedPrompts(dirs.record).map(secondsTold);
      expect(told[1]).toBeLessThanOrEqual(told[0] ?? 0);

      await expectJson(await second.api(`/api/scheduled/${id}`, { method: 'DELETE' }), 200);
      expect(await expectJsonArray(await second.api('/api/sessions'))).toEqual([]);
    });

    it('completes a run whose end passed while the server was down', async () => {
      const root = r.tempDir('claudeman-scheduled-');
      const dirs = { dataDir: join(root, 'data'), casesDir: join(root, 'cases') };
      const { server: first } = await recordingServer(dirs);
      const run = await createRun(first, {
        prompt: 'slow work [[sleep:20000]]',
        workingDir: r.tempDir(),
        durationMinutes: 0.02,
      });
      await r.closeServer(first);
      await pollUntil(() => Date.now() > asNumber(run.endAt), 'the end time to pass');

      const { server: second } = await recordingServer(dirs);
      const ended = await getRun(second, asString(run.id));
      expect(ended).toMatchObject({
        status: 'completed',
        sessionId: null,
        stopReason: 'the scheduled time ended while the server was not running',
      });
      expect(await expectJsonArray(await second.api('/api/sessions'))).toEqual([]);
    });
  });
});
