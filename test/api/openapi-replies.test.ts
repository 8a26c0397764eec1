// API: /api/openapi.json describes the replies of every route, and the replies are what it says.
// A route's response schema is also its serializer (fast-json-stringify writes only the properties a
// schema names, and coerces types), so a schema that is incomplete would change the reply: every
// reply here is checked against its schema in the document AND compared, key for key, with the same
// object written by JSON.stringify (the engine's value, or its copy in the SSE stream).
import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import {
  asArray,
  asObject,
  asString,
  createSession,
  expectJson,
  type Json,
  useApiResources,
  waitForTerminal,
} from '../helpers/api-client.js';
import type { ClaudemanTestServer } from '../helpers/claudeman-server.js';

const r = useApiResources();

type Method = 'get' | 'post' | 'put' | 'delete';

async function openApi(s: ClaudemanTestServer): Promise<Json> {
  return expectJson(await s.api('/api/openapi.json'), 200);
}

/** The declared schema of one reply, as the document gives it. */
function declared(doc: Json, path: string, method: Method, status: string): unknown {
  const operation = asObject(asObject(asObject(doc.paths)[path], path)[method], `${method} ${path}`);
  const reply = asObject(asObject(operation.responses)[status], `${method} ${path} ${status}`);
  return asObject(asObject(reply.content)['application/json']).schema;
}

/** Every key path of a JSON value (array items as `[]`): what a serializer that drops keys would change. */
function keyPaths(value: unknown, prefix = '', into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) keyPaths(item, `${prefix}[]`, into);
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      into.add(`${prefix}.${key}`);
      keyPaths(item, `${prefix}.${key}`, into);
    }
  }
  return into;
}

/** The same keys, everywhere, as the object JSON.stringify writes. */
function expectSameKeys(reply: unknown, unserialised: unknown, what: string): void {
  const written: unknown = JSON.parse(JSON.stringify(unserialised));
  expect([...keyPaths(reply)].sort(), what).toEqual([...keyPaths(written)].sort());
}

interface Checked {
  readonly doc: Json;
  readonly s: ClaudemanTestServer;
}

/** Sends a request, expects `status`, and checks the body against the route's declared schema. */
async function call(
  { doc, s }: Checked,
  method: Method,
  route: string,
  path: string,
  status: number,
  body?: unknown,
): Promise<unknown> {
  const res =
    body === undefined && method === 'get'
      ? await s.api(path)
      : await s.send(method.toUpperCase(), path, body ?? {});
  const text = await res.text();
  expect(res.status, `${method} ${path}: ${text.slice(0, 300)}`).toBe(status);
  const value: unknown = JSON.parse(text);
  const schema = declared(doc, route, method, status >= 400 ? `${String(status)[0]}XX` : String(status));
  const errors = [...Value.Errors(schema as object, value)].slice(0, 3);
  expect(errors, `${method} ${path} against its ${status} schema`).toEqual([]);
  return value;
}

describe('GET /api/openapi.json: replies', () => {
  it('declares for every route its success reply with a schema, and the error body for 4XX and 5XX', async () => {
    const s = await r.server();
    const doc = await openApi(s);
    const missing: string[] = [];
    let operations = 0;
    for (const [path, item] of Object.entries(asObject(doc.paths))) {
      // WebSocket endpoints answer an upgrade (101), not a body: the terminal and overseer faces.
      if (path === '/ws' || path.startsWith('/ws/')) continue;
      for (const [method, operation] of Object.entries(asObject(item))) {
        operations++;
        const responses = asObject(asObject(operation).responses);
        const success = Object.keys(responses).filter((status) => /^2/.test(status));
        const described = success.filter((status) => {
          const content = asObject(responses[status]).content;
          return typeof content === 'object' && content !== null && Object.keys(content).length > 0;
        });
        if (described.length === 0) missing.push(`${method} ${path}: no success reply with a schema`);
        for (const status of ['4XX', '5XX']) {
          const error = asObject(responses[status] ?? {}).content as Json | undefined;
          const schema = asObject(asObject(error?.['application/json'] ?? {}).schema ?? {});
          if (JSON.stringify(schema.required ?? []) !== JSON.stringify(['success', 'error', 'code']))
            missing.push(`${method} ${path}: no ${status} error body`);
        }
      }
    }
    expect(operations).toBeGreaterThan(30);
    expect(missing).toEqual([]);
    // The stream says what it is.
    const events = asObject(asObject(asObject(asObject(doc.paths)['/api/events']).get).responses);
    expect(Object.keys(asObject(asObject(events['200']).content))).toEqual(['text/event-stream']);
  });

  it('sessions, cases, status and errors: replies match their schemas and keep every key', async () => {
    const s = await r.server();
    const c: Checked = { doc: await openApi(s), s };
    const sse = await r.sse(s);
    const init = await sse.next((f) => f.type === 'init');

    const created = asObject(await call(c, 'post', '/api/sessions', '/api/sessions', 201));
    const id = asString(asObject(created.session).id);
    const engine = s.running.sessions.get(id);
    expectSameKeys(created.session, engine?.info(), 'the created session');
    const one = await call(c, 'get', '/api/sessions/{id}', `/api/sessions/${id}`, 200);
    expectSameKeys(one, engine?.info(), 'GET /api/sessions/:id');
    const listed = await call(c, 'get', '/api/sessions', '/api/sessions', 200);
    expectSameKeys(listed, [engine?.info()], 'GET /api/sessions');
    await call(c, 'post', '/api/sessions/{id}/run', `/api/sessions/${id}/run`, 200, { prompt: 'hello' });
    await sse.next((f) => f.type === 'session:completion' && f.sessionId === id, 20_000);
    const output = asObject(
      await call(c, 'get', '/api/sessions/{id}/output', `/api/sessions/${id}/output`, 200),
    );
    expect(asArray(output.messages).length).toBeGreaterThan(0);
    expectSameKeys(output.messages, engine?.messages, 'the CLI messages, as the CLI sent them');
    await call(c, 'get', '/api/sessions/{id}/terminal', `/api/sessions/${id}/terminal`, 200);

    const status = asObject(await call(c, 'get', '/api/status', '/api/status', 200));
    // Lists are compared by their items' keys: the ones that may be empty at init are left out.
    const noLists = (snapshot: Record<string, unknown>) => ({ ...snapshot, sessions: [], costs: {} });
    expectSameKeys(noLists(status), noLists(asObject(init.data)), 'the snapshot, as in init');
    expect(Object.keys(asObject(status.costs)).sort()).toEqual([
      'cases',
      'days',
      'ralphUsd',
      'scheduledRuns',
      'todayUsd',
      'totalUsd',
    ]);
    expectSameKeys(status.sessions, [engine?.info()], 'the snapshot sessions');

    const caseReply = asObject(await call(c, 'post', '/api/cases', '/api/cases', 201, { name: 'shapes' }));
    const caseEvent = await sse.next((f) => f.type === 'case:created');
    expectSameKeys(caseReply.case, caseEvent.data, 'the created case');
    await call(c, 'get', '/api/cases/{name}', '/api/cases/shapes', 200);
    await call(c, 'get', '/healthz', '/healthz', 200);

    await call(c, 'get', '/api/sessions/{id}', '/api/sessions/nope', 404);
    await call(c, 'post', '/api/sessions/{id}/run', `/api/sessions/${id}/run`, 400, { prompt: 7 });
    await call(c, 'delete', '/api/sessions/{id}', `/api/sessions/${id}`, 200);
    const quick = await call(c, 'post', '/api/run', '/api/run', 200, { prompt: 'once' });
    expect(Object.keys(asObject(quick)).sort()).toEqual(['cost', 'result', 'sessionId', 'success']);
  });

  it('tasks, Ralph, respawn and scheduled runs: replies match their schemas and keep every key', async () => {
    const s = await r.server({
      env: { ...process.env, FAKE_CLAUDE_WORK_MS: '150', FAKE_CLAUDE_IDLE_NOTIFY_MS: 'off' },
    });
    const c: Checked = { doc: await openApi(s), s };
    const sse = await r.sse(s);

    // Ralph before there are tasks, and without workers of its own: it runs, and assigns nothing.
    const ralph = await call(c, 'get', '/api/ralph', '/api/ralph', 200);
    const start = { maxWorkers: 0, minDurationMinutes: 60 };
    const started = asObject(await call(c, 'post', '/api/ralph/start', '/api/ralph/start', 200, start));
    const ralphEvent = await sse.next((f) => f.type === 'ralph:started');
    expectSameKeys(started.status, ralphEvent.data.status, 'the Ralph status');
    expectSameKeys(ralph, ralphEvent.data.status, 'GET /api/ralph');
    await call(c, 'post', '/api/ralph/stop', '/api/ralph/stop', 200);

    const task = asObject(await call(c, 'post', '/api/tasks', '/api/tasks', 201, { prompt: 'do it' }));
    const taskEvent = await sse.next((f) => f.type === 'task:created');
    expectSameKeys(task.task, taskEvent.data.task, 'the created task');
    const taskId = asString(asObject(task.task).id);
    const batch = {
      tasks: [
        { id: 'a', prompt: 'one' },
        { prompt: 'two', dependsOn: ['a'] },
      ],
    };
    await call(c, 'post', '/api/tasks/batch', '/api/tasks/batch', 201, batch);
    await call(c, 'get', '/api/tasks/{id}', `/api/tasks/${taskId}`, 200);
    await call(c, 'delete', '/api/tasks/{id}', `/api/tasks/${taskId}`, 200);
    await call(c, 'get', '/api/tasks/{id}', `/api/tasks/${taskId}`, 404);

    const dir = r.tempDir('claudeman-shapes-');
    const id = asString((await createSession(s, { workingDir: dir })).id);
    const route = '/api/sessions/{id}/respawn';
    const none = await call(c, 'get', route, `/api/sessions/${id}/respawn`, 200);
    expect(none).toEqual({ enabled: false, status: null });
    const both = '/api/sessions/{id}/interactive-respawn';
    const interactive = asObject(await call(c, 'post', both, `/api/sessions/${id}/interactive-respawn`, 200));
    const respawnEvent = await sse.next((f) => f.type === 'respawn:started' && f.sessionId === id);
    expectSameKeys(interactive.respawnStatus, respawnEvent.data.status, 'the respawn status');
    await waitForTerminal(s, id, '\u276f');
    const controller = await call(c, 'get', route, `/api/sessions/${id}/respawn`, 200);
    expectSameKeys(controller, respawnEvent.data.status, 'GET …/respawn');
    const config = { idleTimeoutMs: 2_000 };
    await call(c, 'put', `${route}/config`, `/api/sessions/${id}/respawn/config`, 200, config);
    await call(c, 'post', `${route}/stop`, `/api/sessions/${id}/respawn/stop`, 200);
    await call(c, 'post', `${route}/start`, `/api/sessions/${id}/respawn/start`, 200, {});
    await call(c, 'post', `${route}/stop`, `/api/sessions/${id}/respawn/stop`, 200);

    const run = { prompt: 'tick', durationMinutes: 1, maxCostUsd: null };
    const created = asObject(await call(c, 'post', '/api/scheduled', '/api/scheduled', 201, run));
    const runId = asString(asObject(created.run).id);
    const runEvent = await sse.next((f) => f.type === 'scheduled:updated' && f.data.id === runId, 20_000);
    const withoutLogs = (value: unknown) => ({ ...asObject(value), logs: [] });
    expectSameKeys(withoutLogs(created.run), withoutLogs(runEvent.data.run), 'the scheduled run');
    await call(c, 'get', '/api/scheduled', '/api/scheduled', 200);
    await call(c, 'get', '/api/scheduled/{id}', `/api/scheduled/${runId}`, 200);
    await call(c, 'delete', '/api/scheduled/{id}', `/api/scheduled/${runId}`, 200);
    await call(c, 'get', '/api/scheduled/{id}', '/api/scheduled/nope', 404);
  });
});
