// API: POST /api/run — a prompt in a fresh session, answered when the run ends, the session removed.
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  asNumber,
  asObject,
  asString,
  expectApiError,
  expectJson,
  expectJsonArray,
  useApiResources,
} from '../helpers/api-client.js';
import { pollUntil, processExists } from '../helpers/poll.js';

const r = useApiResources();

describe('POST /api/run', () => {
  it('answers {success, sessionId, result, cost} and removes its session', async () => {
    const s = await r.server();
    const sse = await r.sse(s);
    const res = await s.send('POST', '/api/run', { prompt: 'quick question' });
    const body = await expectJson(res, 200);
    expect(Object.keys(body).sort()).toEqual(['cost', 'result', 'sessionId', 'success']);
    expect(body.success).toBe(true);
    expect(body.result).toBe('Echo: quick question');
    expect(asNumber(body.cost)).toBeGreaterThan(0);
    const sessionId = asString(body.sessionId);
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);

    await expectApiError(await s.api(`/api/sessions/${sessionId}`), 404, 'SESSION_NOT_FOUND');
    expect(await expectJsonArray(await s.api('/api/sessions'))).toEqual([]);
    // Its life as events: created, running, completion, deleted.
    await sse.nextOf('session:created', sessionId);
    await sse.nextOf('session:running', sessionId);
    const completion = await sse.nextOf('session:completion', sessionId);
    expect(completion.data.cost).toBe(body.cost);
    await sse.nextOf('session:deleted', sessionId);
  });

  it('reports the cost of the result line', async () => {
    const s = await r.server();
    const body = await expectJson(await s.send('POST', '/api/run', { prompt: 'priced [[cost:1.5]]' }), 200);
    expect(body.cost).toBe(1.5);
  });

  it('runs in the given working directory', async () => {
    const s = await r.server();
    const dir = r.tempDir();
    const sse = await r.sse(s);
    const body = await expectJson(
      await s.send('POST', '/api/run', { prompt: 'where', workingDir: dir }),
      200,
    );
    const created = await sse.nextOf('session:created', asString(body.sessionId));
    expect(asObject(created.data.session).workingDir).toBe(realpathSync(dir));
  });

  it('answers a crash with 502 RUN_FAILED and still removes the session', async () => {
    const s = await r.server();
    const sse = await r.sse(s);
    await expectApiError(await s.send('POST', '/api/run', { prompt: 'boom [[crash]]' }), 502, 'RUN_FAILED');
    const created = await sse.nextOf('session:created');
    const sessionId = asString(created.sessionId);
    await sse.nextOf('session:deleted', sessionId);
    await expectApiError(await s.api(`/api/sessions/${sessionId}`), 404, 'SESSION_NOT_FOUND');
    expect(await expectJsonArray(await s.api('/api/sessions'))).toEqual([]);
  });

  it('answers an error result with 502 RUN_FAILED naming the error', async () => {
    const s = await r.server();
    const body = await expectApiError(
      await s.send('POST', '/api/run', { prompt: 'x [[error]]' }),
      502,
      'RUN_FAILED',
    );
    expect(asString(body.error)).toContain('API Error');
    expect(await expectJsonArray(await s.api('/api/sessions'))).toEqual([]);
  });

  it('answers a hung run with 502 RUN_FAILED at its timeout, process gone', async () => {
    const s = await r.server();
    const sse = await r.sse(s);
    const body = await expectApiError(
      await s.send('POST', '/api/run', { prompt: 'stuck [[hang]]', timeoutMs: 1_000 }),
      502,
      'RUN_FAILED',
    );
    expect(asString(body.error)).toMatch(/timed? ?out/i);
    const updated = sse.frames.find(
      (f) => f.type === 'session:updated' && asObject(f.data.session).pid !== null,
    );
    const pid = asNumber(asObject(updated?.data.session).pid);
    await pollUntil(() => !processExists(pid), `pid ${pid} gone`, 10_000);
    expect(await expectJsonArray(await s.api('/api/sessions'))).toEqual([]);
  });

  it('refuses bad input with 400 and creates no session', async () => {
    const s = await r.server();
    await expectApiError(await s.send('POST', '/api/run', {}), 400, 'BAD_REQUEST');
    await expectApiError(await s.send('POST', '/api/run', { prompt: '' }), 400, 'BAD_REQUEST');
    await expectApiError(
      await s.send('POST', '/api/run', { prompt: 'x'.repeat(100_001) }),
      400,
      'BAD_REQUEST',
    );
    await expectApiError(
      await s.send('POST', '/api/run', { prompt: 'hi', workingDir: join(r.tempDir(), 'missing') }),
      400,
      'INVALID_PATH',
    );
    await expectApiError(
      await s.send('POST', '/api/run', { prompt: 'hi', workingDir: '../..' }),
      400,
      'INVALID_PATH',
    );
    expect(await expectJsonArray(await s.api('/api/sessions'))).toEqual([]);
  });
});
