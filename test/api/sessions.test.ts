// API: sessions — create, list, get, delete, working directories, unknown ids on every `:id` route.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  asArray,
  asNumber,
  asObject,
  createSession,
  expectApiError,
  expectJson,
  expectJsonArray,
  expectRawApiError,
  expectSession,
  getSession,
  type Json,
  rawRequest,
  real,
  useApiResources,
  waitForSession,
  waitForTerminal,
} from '../helpers/api-client.js';
import type { ClaudemanTestServer } from '../helpers/claudeman-server.js';
import { processExists } from '../helpers/poll.js';

const r = useApiResources();
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

describe('POST /api/sessions', () => {
  it('creates a session: 201 {success, session} with every Session field and bufferStats', async () => {
    const s = await r.server();
    const before = Date.now();
    const session = await createSession(s);
    expect(session.pid).toBeNull();
    expect(session.status).toBe('idle');
    expect(session.mode).toBe('none');
    expect(session.currentTaskId).toBeNull();
    expect(session.claudeSessionId).toBeNull();
    expect(session.totalCost).toBe(0);
    expect(session.messageCount).toBe(0);
    expect(session.isWorking).toBe(false);
    expect(session.lastPromptTime).toBeNull();
    expect(session.lastError).toBeNull();
    expect(session.exitCode).toBeNull();
    expect(asNumber(session.createdAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(asNumber(session.createdAt)).toBeLessThanOrEqual(Date.now() + 1000);
    expect(asNumber(session.lastActivityAt)).toBeGreaterThanOrEqual(asNumber(session.createdAt));
    expect(session.bufferStats).toMatchObject({ terminalBytes: 0, textBytes: 0, messages: 0 });
  });

  it('defaults the working directory to the cases root, never the server process directory', async () => {
    // A cases root that does not exist yet is made at start: the default must be usable.
    const casesDir = join(r.tempDir(), 'not-yet', 'cases');
    const s = await r.server({ casesDir });
    const session = await createSession(s);
    expect(session.workingDir).toBe(real(casesDir));
    expect(session.workingDir).not.toBe(real(process.cwd()));
    const status = await expectJson(await s.api('/api/status'), 200);
    expect(status.casesRoot).toBe(casesDir);
  });

  it('accepts an absolute working directory (reported as its real path)', async () => {
    const s = await r.server();
    const dir = r.tempDir();
    const session = await createSession(s, { workingDir: dir });
    expect(session.workingDir).toBe(real(dir));
  });

  it('accepts an empty request body (all defaults)', async () => {
    const s = await r.server();
    const res = await s.api('/api/sessions', { method: 'POST' });
    const body = await expectJson(res, 201);
    expect(body.success).toBe(true);
    expect(expectSession(body.session).workingDir).toBe(real(s.casesDir));
  });

  it('resolves a relative working directory inside the cases root', async () => {
    const s = await r.server();
    mkdirSync(join(s.casesDir, 'proj', 'sub'), { recursive: true });
    const one = await createSession(s, { workingDir: 'proj' });
    expect(one.workingDir).toBe(real(join(s.casesDir, 'proj')));
    const two = await createSession(s, { workingDir: 'proj/sub' });
    expect(two.workingDir).toBe(real(join(s.casesDir, 'proj', 'sub')));
  });

  it('refuses a nonexistent directory with 400 INVALID_PATH', async () => {
    const s = await r.server();
    const missing = join(r.tempDir(), 'does-not-exist');
    await expectApiError(await s.send('POST', '/api/sessions', { workingDir: missing }), 400, 'INVALID_PATH');
    await expectApiError(
      await s.send('POST', '/api/sessions', { workingDir: 'no-such-case' }),
      400,
      'INVALID_PATH',
    );
  });

  it('refuses a file with 400 INVALID_PATH', async () => {
    const s = await r.server();
    const file = join(r.tempDir(), 'a-file.txt');
    writeFileSync(file, 'not a directory\n');
    await expectApiError(await s.send('POST', '/api/sessions', { workingDir: file }), 400, 'INVALID_PATH');
  });

  it('refuses relative paths that climb out of the cases root with 400 INVALID_PATH', async () => {
    const s = await r.server();
    for (const workingDir of ['../..', '..', 'x/../../', './../']) {
      if (workingDir.startsWith('x/')) mkdirSync(join(s.casesDir, 'x'), { recursive: true });
      await expectApiError(await s.send('POST', '/api/sessions', { workingDir }), 400, 'INVALID_PATH');
    }
  });

  it('refuses a symbolic link inside the cases root that points outside it', async () => {
    const s = await r.server();
    const outside = r.tempDir();
    symlinkSync(outside, join(s.casesDir, 'sneaky'));
    await expectApiError(
      await s.send('POST', '/api/sessions', { workingDir: 'sneaky' }),
      400,
      'INVALID_PATH',
    );
  });

  it('creates nothing when the request is refused', async () => {
    const s = await r.server();
    await expectApiError(await s.send('POST', '/api/sessions', { workingDir: '../..' }), 400, 'INVALID_PATH');
    expect(await expectJsonArray(await s.api('/api/sessions'))).toEqual([]);
  });
});

describe('GET /api/sessions and /api/sessions/:id', () => {
  it('lists [] on a fresh server', async () => {
    const s = await r.server();
    expect(await expectJsonArray(await s.api('/api/sessions'))).toEqual([]);
  });

  it('lists every session, without buffers, and gets one by id', async () => {
    const s = await r.server();
    const a = await createSession(s);
    const b = await createSession(s, { workingDir: r.tempDir() });
    const list = await expectJsonArray(await s.api('/api/sessions'));
    expect(list).toHaveLength(2);
    for (const item of list) expectSession(item);
    expect(list.map((x) => asObject(x).id).sort()).toEqual([a.id, b.id].sort());
    const got = await getSession(s, String(b.id));
    expect(got).toEqual(b);
  });

  it('keeps buffer contents out of the list even after a large run', async () => {
    const s = await r.server();
    const session = await createSession(s);
    const id = String(session.id);
    expect(
      await expectJson(
        await s.send('POST', `/api/sessions/${id}/run`, { prompt: 'a big one [[big:25000]]' }),
        200,
      ),
    ).toMatchObject({ success: true });
    const done = await waitUntilIdle(s, id);
    expect(asNumber(asObject(done.bufferStats).terminalBytes)).toBeGreaterThan(50_000);
    const res = await s.api('/api/sessions');
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text.length, 'list size').toBeLessThan(3_000);
    const [listed] = asArray(JSON.parse(text) as unknown);
    expectSession(listed);
  });
});

function waitUntilIdle(s: ClaudemanTestServer, id: string): Promise<Json> {
  return waitForSession(s, id, (x) => x.status === 'idle' && x.pid === null, 'run to finish', 15_000);
}

describe('DELETE /api/sessions/:id', () => {
  it('deletes an idle session: {success: true}, then 404 everywhere', async () => {
    const s = await r.server();
    const session = await createSession(s);
    const id = String(session.id);
    const res = await s.api(`/api/sessions/${id}`, { method: 'DELETE' });
    expect(await expectJson(res, 200)).toEqual({ success: true });
    await expectApiError(await s.api(`/api/sessions/${id}`), 404, 'SESSION_NOT_FOUND');
    await expectApiError(await s.api(`/api/sessions/${id}`, { method: 'DELETE' }), 404, 'SESSION_NOT_FOUND');
    expect(await expectJsonArray(await s.api('/api/sessions'))).toEqual([]);
  });

  it('stops the running process of an interactive session (pid gone) before answering', async () => {
    const s = await r.server();
    const id = String((await createSession(s)).id);
    expect(await expectJson(await s.send('POST', `/api/sessions/${id}/interactive`, {}), 200)).toEqual({
      success: true,
      message: 'Interactive session started',
    });
    await waitForTerminal(s, id, '\u276f');
    const pid = asNumber((await getSession(s, id)).pid);
    expect(processExists(pid)).toBe(true);
    expect(await expectJson(await s.api(`/api/sessions/${id}`, { method: 'DELETE' }), 200)).toEqual({
      success: true,
    });
    // DELETE answers once the process has exited.
    expect(processExists(pid), `pid ${pid} still running after DELETE`).toBe(false);
    await expectApiError(await s.api(`/api/sessions/${id}`), 404, 'SESSION_NOT_FOUND');
  });

  it('stops a running one-shot process', async () => {
    const s = await r.server();
    const id = String((await createSession(s)).id);
    await expectJson(await s.send('POST', `/api/sessions/${id}/run`, { prompt: 'wait [[hang]]' }), 200);
    const running = await getSession(s, id);
    expect(running.status).toBe('busy');
    const pid = asNumber(running.pid);
    expect(processExists(pid)).toBe(true);
    expect(await expectJson(await s.api(`/api/sessions/${id}`, { method: 'DELETE' }), 200)).toEqual({
      success: true,
    });
    expect(processExists(pid), `pid ${pid} still running after DELETE`).toBe(false);
    await expectApiError(await s.api(`/api/sessions/${id}`), 404, 'SESSION_NOT_FOUND');
  });
});

describe('unknown session ids', () => {
  const routes: Array<{ method: string; path: string; body?: unknown }> = [
    { method: 'GET', path: '' },
    { method: 'DELETE', path: '' },
    { method: 'GET', path: '/output' },
    { method: 'GET', path: '/terminal' },
    { method: 'POST', path: '/run', body: { prompt: 'hello' } },
    { method: 'POST', path: '/interactive', body: {} },
    { method: 'POST', path: '/input', body: { input: 'hello\r' } },
    { method: 'POST', path: '/resize', body: { cols: 80, rows: 24 } },
  ];

  it('answers 404 SESSION_NOT_FOUND on every :id route', async () => {
    const s = await r.server();
    await createSession(s); // a session exists, but not this one
    for (const id of [UNKNOWN_ID, 'not-a-uuid']) {
      for (const route of routes) {
        const res = await s.send(route.method, `/api/sessions/${id}${route.path}`, route.body);
        await expectApiError(res, 404, 'SESSION_NOT_FOUND');
      }
    }
  });

  it('answers malformed percent-encoding in an id with 400 BAD_REQUEST (API error body)', async () => {
    const s = await r.server();
    for (const path of ['/api/sessions/%E0%A4%A', '/api/sessions/%zz/terminal', '/api/cases/%']) {
      const res = await rawRequest(s.port, { path, headers: { authorization: `Bearer ${s.token}` } });
      expectRawApiError(res, 400, 'BAD_REQUEST');
    }
    expect((await s.api('/healthz')).status).toBe(200);
  });

  it('answers over-long ids with the API error body (400 BAD_REQUEST or 404 SESSION_NOT_FOUND)', async () => {
    const s = await r.server();
    // The spec: "unknown resources and malformed ids give 404/400, never a crash".
    for (const length of [150, 300]) {
      for (const path of ['', '/terminal']) {
        const res = await s.api(`/api/sessions/${'a'.repeat(length)}${path}`);
        expect([400, 404], `status for a ${length}-character id`).toContain(res.status);
        await expectApiError(res, res.status, res.status === 400 ? 'BAD_REQUEST' : 'SESSION_NOT_FOUND');
      }
    }
    expect((await s.api('/healthz')).status).toBe(200);
  });
});
