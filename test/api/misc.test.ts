// API: bad input (malformed JSON, wrong types, oversized bodies, unknown routes), /api/status,
// /healthz, /api/openapi.json, and /api/overseer/tasks (with a task started over /ws).
import { describe, expect, it } from 'vitest';
import {
  asArray,
  asNumber,
  asObject,
  createSession,
  expectApiError,
  expectJson,
  expectJsonArray,
  expectSession,
  pollAsync,
  useApiResources,
} from '../helpers/api-client.js';
import type { ClaudemanTestServer } from '../helpers/claudeman-server.js';
import { expectKeys, TASK_INFO_KEYS, WsClient } from '../helpers/ws-client.js';

const r = useApiResources();

function postRaw(s: ClaudemanTestServer, path: string, body: string, contentType = 'application/json') {
  return s.api(path, { method: 'POST', body, headers: { 'content-type': contentType } });
}

/** The server still answers: health, a list, and a new session. */
async function expectServerUp(s: ClaudemanTestServer): Promise<void> {
  expect((await s.api('/healthz')).status).toBe(200);
  await expectJsonArray(await s.api('/api/sessions'));
  await createSession(s);
}

describe('bad input', () => {
  it('answers malformed JSON with 400 INVALID_JSON on every JSON route', async () => {
    const s = await r.server();
    const id = String((await createSession(s)).id);
    for (const path of [
      '/api/sessions',
      `/api/sessions/${id}/run`,
      `/api/sessions/${id}/interactive`,
      `/api/sessions/${id}/input`,
      `/api/sessions/${id}/resize`,
      '/api/cases',
      '/api/run',
    ]) {
      for (const body of ['{bad', '{"prompt": "x",}', "{'single': 1}", '{"a":']) {
        await expectApiError(await postRaw(s, path, body), 400, 'INVALID_JSON');
      }
    }
    await expectServerUp(s);
  });

  it('answers wrong types with 400 BAD_REQUEST (no silent coercion)', async () => {
    const s = await r.server();
    const id = String((await createSession(s)).id);
    const cases: Array<[string, unknown]> = [
      [`/api/sessions/${id}/run`, { prompt: 42 }],
      [`/api/sessions/${id}/run`, { prompt: ['a', 'b'] }],
      [`/api/sessions/${id}/run`, { prompt: { text: 'x' } }],
      [`/api/sessions/${id}/run`, { prompt: null }],
      [`/api/sessions/${id}/run`, { prompt: 'x', timeoutMs: 'soon' }],
      [`/api/sessions/${id}/resize`, { cols: '80', rows: 24 }],
      [`/api/sessions/${id}/resize`, { cols: 80, rows: true }],
      [`/api/sessions/${id}/input`, { input: 7 }],
      ['/api/sessions', { workingDir: 123 }],
      ['/api/sessions', { permissionMode: 'yolo' }],
      ['/api/sessions', [1, 2]],
      ['/api/sessions', 'just a string'],
      ['/api/run', { prompt: true }],
      ['/api/cases', { name: 5 }],
    ];
    // Every case is tried (one report listing all that were accepted), each on a fresh session so
    // that an accepted run does not make the next one busy.
    const failures: string[] = [];
    for (const [path, body] of cases) {
      const fresh = String((await createSession(s)).id);
      const res = await s.send('POST', path.replace(id, fresh), body);
      const text = await res.text();
      let code: unknown;
      try {
        code = asObject(JSON.parse(text) as unknown).code;
      } catch {
        code = undefined;
      }
      if (res.status !== 400 || code !== 'BAD_REQUEST') {
        failures.push(
          `POST ${path.replace(id, ':id')} ${JSON.stringify(body)} -> ${res.status} ${text.slice(0, 120)}`,
        );
      }
    }
    expect(failures).toEqual([]);
    await expectServerUp(s);
  });

  it('answers a body over 1 MiB with 413 BODY_TOO_LARGE', async () => {
    const s = await r.server();
    const big = JSON.stringify({ workingDir: 'x'.repeat(1024 * 1024) });
    await expectApiError(await postRaw(s, '/api/sessions', big), 413, 'BODY_TOO_LARGE');
    const id = String((await createSession(s)).id);
    await expectApiError(
      await postRaw(s, `/api/sessions/${id}/run`, JSON.stringify({ prompt: 'y'.repeat(1024 * 1024 + 10) })),
      413,
      'BODY_TOO_LARGE',
    );
    await expectServerUp(s);
  });

  it('answers an unsupported content type with a 4xx API error body', async () => {
    const s = await r.server();
    const res = await postRaw(s, '/api/sessions', 'workingDir=/tmp', 'application/x-www-form-urlencoded');
    await expectApiError(res, 415, 'BAD_REQUEST');
    await expectServerUp(s);
  });

  it('answers unknown routes with 404 NOT_FOUND', async () => {
    const s = await r.server();
    await expectApiError(await s.api('/api/nope'), 404, 'NOT_FOUND');
    await expectApiError(await s.api('/api/sessions/x/y/z'), 404, 'NOT_FOUND');
    await expectApiError(await s.send('PUT', '/api/sessions', {}), 404, 'NOT_FOUND');
    await expectApiError(await s.api('/nothing-here'), 404, 'NOT_FOUND');
    // Not yet implemented features are unknown routes, not crashes.
    await expectApiError(await s.api('/api/scheduled/abc/pause'), 404, 'NOT_FOUND');
    await expectServerUp(s);
  });
});

describe('GET /api/status', () => {
  it('answers {sessions, scheduledRuns, respawnStatus, timestamp}, the casesRoot and the cost sums', async () => {
    const s = await r.server();
    const empty = await expectJson(await s.api('/api/status'), 200);
    expect(Object.keys(empty).sort()).toEqual([
      'casesRoot',
      'costs',
      'respawnStatus',
      'scheduledRuns',
      'sessions',
      'timestamp',
    ]);
    expect(empty.casesRoot).toBe(s.casesDir);
    expect(empty.sessions).toEqual([]);
    expect(empty.scheduledRuns).toEqual([]);
    expect(empty.respawnStatus).toEqual({});
    expect(empty.costs).toEqual({
      totalUsd: 0,
      todayUsd: 0,
      days: [],
      cases: [],
      ralphUsd: 0,
      scheduledRuns: [],
    });
    expect(Math.abs(asNumber(empty.timestamp) - Date.now())).toBeLessThan(10_000);

    const a = await createSession(s);
    const status = await expectJson(await s.api('/api/status'), 200);
    const sessions = asArray(status.sessions);
    expect(sessions).toHaveLength(1);
    expect(expectSession(sessions[0]).id).toBe(a.id);
  });
});

describe('GET /healthz', () => {
  it('answers without a token', async () => {
    const s = await r.server();
    const res = await fetch(`${s.baseUrl}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });
});

describe('GET /api/openapi.json', () => {
  it('is an OpenAPI 3 document listing the session routes', async () => {
    const s = await r.server();
    const doc = await expectJson(await s.api('/api/openapi.json'), 200);
    expect(String(doc.openapi)).toMatch(/^3\.\d+\.\d+$/);
    expect(asObject(doc.info).title).toBeTypeOf('string');
    const paths = asObject(doc.paths);
    for (const path of [
      '/api/sessions',
      '/api/sessions/{id}',
      '/api/sessions/{id}/output',
      '/api/sessions/{id}/terminal',
      '/api/sessions/{id}/run',
      '/api/sessions/{id}/interactive',
      '/api/sessions/{id}/input',
      '/api/sessions/{id}/resize',
      '/api/cases',
      '/api/cases/{name}',
      '/api/run',
      '/api/status',
      '/api/events',
    ]) {
      expect(paths, `path ${path}`).toHaveProperty([path]);
    }
    const sessions = asObject(paths['/api/sessions']);
    expect(Object.keys(sessions)).toEqual(expect.arrayContaining(['get', 'post']));
    expect(Object.keys(asObject(paths['/api/sessions/{id}']))).toEqual(
      expect.arrayContaining(['get', 'delete']),
    );
    const run = asObject(asObject(paths['/api/sessions/{id}/run']).post);
    expect(JSON.stringify(run.requestBody)).toContain('prompt');
  });

  it('needs the token', async () => {
    const s = await r.server();
    await expectApiError(await fetch(`${s.baseUrl}/api/openapi.json`), 401, 'UNAUTHORIZED');
  });
});

describe('GET /api/overseer/tasks', () => {
  it('answers [] without tasks, then lists a task started over /ws with the TaskInfo fields', async () => {
    const s = await r.server();
    expect(await expectJsonArray(await s.api('/api/overseer/tasks'))).toEqual([]);

    const ws = await WsClient.connect(`ws://127.0.0.1:${s.port}/ws?token=${s.token}`);
    r.onCleanup(() => ws.close());
    ws.send({ type: 'start', id: 'req-1', command: '/bin/echo', args: ['hi'] });
    const started = await ws.next((m) => m.type === 'started' && m.id === 'req-1', 10_000);
    const taskId = String(started.task_id);
    await ws.next((m) => m.type === 'output' && m.task_id === taskId && m.data === 'hi', 10_000);

    let tasks: unknown[] = [];
    await pollAsync(async () => {
      tasks = await expectJsonArray(await s.api('/api/overseer/tasks'));
      return tasks.length === 1;
    }, 'the task in /api/overseer/tasks');
    const task = asObject(tasks[0]);
    expectKeys(task, TASK_INFO_KEYS);
    expect(task.task_id).toBe(taskId);
    expect(task.command).toBe('/bin/echo');
    expect(task.args).toEqual(['hi']);
    expect(['active', 'stopped', 'errored']).toContain(task.state);
    expect(typeof task.restart_count).toBe('number');
    expect(String(task.created_at)).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);

    // The same data as the /ws list.
    ws.send({ type: 'list', id: 'req-2' });
    const listed = await ws.next((m) => m.type === 'tasks' && m.id === 'req-2');
    const wsTask = asObject(asArray(listed.tasks)[0]);
    expect(wsTask.task_id).toBe(taskId);
    expect(wsTask.command).toBe(task.command);
    expect(wsTask.args).toEqual(task.args);
    expect(wsTask.created_at).toBe(task.created_at);
  });

  it('needs the token', async () => {
    const s = await r.server();
    await expectApiError(await fetch(`${s.baseUrl}/api/overseer/tasks`), 401, 'UNAUTHORIZED');
  });
});
